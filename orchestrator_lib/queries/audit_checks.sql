-- Checks that do not change the counts (SPEC §4), one row per finding:
-- (check, subject_id, subject_name, detail, count). Reads quarter_groups (audit_groups.sql).
-- Responsible physician: missing, several, or inactive.
SELECT 'responsible_missing' AS check, NULL AS subject_id, NULL AS subject_name, NULL AS detail, 0 AS count
WHERE NOT EXISTS (SELECT 1 FROM emr_staff WHERE responsible)
UNION ALL
SELECT 'responsible_inactive', staff_id, name, NULL, 0 FROM emr_staff WHERE responsible AND status <> 'active'
UNION ALL
SELECT 'responsible_several', NULL, NULL, string_agg(name, ', ' ORDER BY staff_id), count(*)
FROM emr_staff WHERE responsible HAVING count(*) > 1
UNION ALL
-- Active staff whose specialty is not primary care ("Non pris en charge").
SELECT 'specialty_not_primary_care', staff_id, name, specialty, 0 FROM emr_staff
WHERE status = 'active' AND specialty IS NOT NULL
  AND NOT list_contains($primary_care, strip_accents(lower(trim(specialty))))
UNION ALL
-- Availabilities of the quarter lacking a regulatory attribute (reference/domain.md: opening date,
-- clientele, reason, mode, site), per staff member and attribute. The referral source applies only
-- "where applicable", so its absence is not a finding.
SELECT 'availability_attribute_missing', a.staff_id, coalesce(any_value(m.name), a.staff_id), attribute, count(*)
FROM (
    UNPIVOT (SELECT staff_id, (published_at IS NULL) AS published_at, (clientele IS NULL) AS clientele,
                    (reason IS NULL) AS reason, ("mode" IS NULL) AS "mode", (location IS NULL) AS location
             FROM emr_availabilities WHERE start >= $start AND start < $end)
    ON published_at, clientele, reason, "mode", location INTO NAME attribute VALUE missing
) a
LEFT JOIN emr_staff m USING (staff_id)
WHERE missing
GROUP BY a.staff_id, attribute
UNION ALL
-- Excluded services that still receive appointments in the quarter: a possible mistake.
SELECT 'excluded_with_appointments', g.service_id, coalesce(any_value(e.name), any_value(s.name)), NULL, sum(g.items)
FROM quarter_groups g
JOIN services s USING (service_id)
LEFT JOIN emr_services e USING (service_id)
WHERE g.kind = 'appointment' AND g.reason = 'service_excluded'
GROUP BY g.service_id
UNION ALL
-- Included inactive services with future appointments: reactivated at the next sync.
SELECT 'will_reactivate', s.service_id, coalesce(any_value(e.name), any_value(s.name)), NULL, count(*)
FROM services s
JOIN emr_appointments a USING (service_id)
LEFT JOIN emr_services e USING (service_id)
WHERE NOT s.excluded AND s.status = 'inactive' AND a.status <> 'cancelled' AND a.start >= $as_of
GROUP BY s.service_id
ORDER BY 1, 2, 4

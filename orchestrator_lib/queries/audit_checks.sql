-- Checks that do not change the counts (docs/rules.md, counting), one row per finding:
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
WHERE status = 'active' AND NOT primary_care(specialty)
UNION ALL
-- Availabilities of the quarter lacking a regulatory attribute (see docs/export-format.md, availabilities: opening date,
-- clientele, reason, mode, site), one row per staff member: how many lack at least one, and which
-- attributes are missing (comma-separated codes). The referral source applies only "where
-- applicable", so its absence is not a finding.
SELECT 'availability_attribute_missing', l.staff_id, coalesce(m.name, l.staff_id),
       array_to_string(list_filter(['published_at', 'clientele', 'reason', 'mode', 'location'],
                                   (name, i) -> [l.published_at, l.clientele, l.reason, l."mode", l.location][i] > 0), ','),
       l.items
FROM (
    SELECT staff_id,
           count(*) FILTER (published_at IS NULL) AS published_at, count(*) FILTER (clientele IS NULL) AS clientele,
           count(*) FILTER (reason IS NULL) AS reason, count(*) FILTER ("mode" IS NULL) AS "mode",
           count(*) FILTER (location IS NULL) AS location,
           count(*) FILTER (published_at IS NULL OR clientele IS NULL OR reason IS NULL OR "mode" IS NULL
                            OR location IS NULL) AS items
    FROM emr_availabilities WHERE start >= $start AND start < $end
    GROUP BY staff_id
) l
LEFT JOIN emr_staff m USING (staff_id)
WHERE l.items > 0
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
SELECT 'will_reactivate', r.service_id, coalesce(e.name, s.name), NULL, r.future_appointments
FROM will_reactivate($as_of) r
JOIN services s USING (service_id)
LEFT JOIN emr_services e USING (service_id)
ORDER BY 1, 2, 4

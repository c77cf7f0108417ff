-- Availabilities of the quarter that the rule counts but the GAP report does not: published
-- before their service was last configured for it (view service_configured). The help
-- centre: only slots created after the configuration are eligible; older ones must be
-- deleted and recreated in the EMR. One row per service, with its staff members and
-- their counts (most first); a check, the counts stay as they are. An availability without a publication date is left to the
-- check on regulatory attributes.
WITH per_member AS (
SELECT a.service_id, coalesce(e.name, s.name, a.service_id) AS service_name,
       a.staff_id, coalesce(m.name, a.staff_id) AS staff_name,
       c.configured_at, count(*) AS availabilities
FROM emr_availabilities a
JOIN remuneration_items i ON i.kind = 'availability' AND i.item_id = a.availability_id
JOIN service_configured c ON c.service_id = a.service_id
LEFT JOIN services s ON s.service_id = a.service_id
LEFT JOIN emr_services e ON e.service_id = a.service_id
LEFT JOIN emr_staff m ON m.staff_id = a.staff_id
WHERE a.start >= $start AND a.start < $end AND i.reason IS NULL AND a.published_at < c.configured_at
GROUP BY ALL
)
SELECT service_id, service_name, configured_at, sum(availabilities)::BIGINT AS availabilities,
       list({'staff_id': staff_id, 'name': staff_name, 'availabilities': availabilities}
            ORDER BY availabilities DESC, staff_id) AS staff
FROM per_member
GROUP BY ALL
ORDER BY availabilities DESC, service_id

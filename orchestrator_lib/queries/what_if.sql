-- What a set of service changes does to the remuneration count (SPEC §4 rule,
-- the reason_not_counted macro): for each changed service and each of the
-- quarters [$previous_start, $current_start) and [$current_start, $current_end),
-- how many appointments and availabilities become counted or stop being counted.
-- $changes: one struct per service with its state before and after.
WITH changes AS (
    SELECT unnest($changes, recursive := true)
),
items AS (
    SELECT 'appointment' AS kind, service_id, staff_id, start FROM emr_appointments
    WHERE status <> 'cancelled' AND start >= $previous_start AND start < $current_end
    UNION ALL
    SELECT 'availability', service_id, staff_id, start FROM emr_availabilities
    WHERE start >= $previous_start AND start < $current_end
),
judged AS (
    SELECT c.service_id, i.kind,
           CASE WHEN i.start < $current_start THEN 'previous' ELSE 'current' END AS quarter,
           reason_not_counted(c.before_imported, c.before_excluded, c.before_active,
                              m.staff_id IS NOT NULL, coalesce(m.status = 'active', false)) IS NULL AS counted_before,
           reason_not_counted(c.after_imported, c.after_excluded, c.after_active,
                              m.staff_id IS NOT NULL, coalesce(m.status = 'active', false)) IS NULL AS counted_after
    FROM changes c
    JOIN items i USING (service_id)
    LEFT JOIN emr_staff m ON m.staff_id = i.staff_id
)
SELECT service_id, quarter,
       count(*) FILTER (kind = 'appointment' AND counted_after AND NOT counted_before)
     - count(*) FILTER (kind = 'appointment' AND counted_before AND NOT counted_after) AS appointments,
       count(*) FILTER (kind = 'availability' AND counted_after AND NOT counted_before)
     - count(*) FILTER (kind = 'availability' AND counted_before AND NOT counted_after) AS availabilities
FROM judged
GROUP BY ALL
HAVING appointments <> 0 OR availabilities <> 0
ORDER BY service_id, quarter DESC

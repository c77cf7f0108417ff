-- Per service the plan changes and per quarter, the net change in counted
-- appointments and availabilities. Reads what_if_items (what_if.sql).
SELECT service_id, quarter,
       count(*) FILTER (kind = 'appointment' AND reason_after IS NULL)
     - count(*) FILTER (kind = 'appointment' AND reason_before IS NULL) AS appointments,
       count(*) FILTER (kind = 'availability' AND reason_after IS NULL)
     - count(*) FILTER (kind = 'availability' AND reason_before IS NULL) AS availabilities
FROM what_if_items
WHERE planned
GROUP BY ALL
HAVING appointments <> 0 OR availabilities <> 0
ORDER BY service_id, quarter DESC

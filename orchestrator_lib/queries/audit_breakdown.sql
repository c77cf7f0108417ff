-- The quarter's items counted and not, by one dimension: $dimension is one of
-- 'service', 'staff', 'type', 'month' (a service with several types counts
-- under each of them; a service without type under '-').
WITH keyed AS (
    SELECT kind, reason,
           CASE $dimension WHEN 'service' THEN service_id WHEN 'staff' THEN staff_id
                           WHEN 'month' THEN strftime(start, '%Y-%m') END AS key,
           CASE $dimension WHEN 'service' THEN service_name WHEN 'staff' THEN staff_name END AS label,
           CASE WHEN $dimension = 'type' THEN coalesce(nullif(service_types, []), ['-']) ELSE [NULL] END AS type_keys
    FROM quarter_items
)
SELECT coalesce(key, type_key) AS key, any_value(label) AS label,
       count(*) FILTER (kind = 'appointment') AS appointments,
       count(*) FILTER (kind = 'appointment' AND reason IS NULL) AS appointments_counted,
       count(*) FILTER (kind = 'availability') AS availabilities,
       count(*) FILTER (kind = 'availability' AND reason IS NULL) AS availabilities_counted,
       round(100.0 * count(*) FILTER (reason IS NULL) / count(*), 1) AS coverage_pct
FROM keyed, unnest(type_keys) AS t(type_key)
GROUP BY ALL
ORDER BY coverage_pct, key

-- The quarter's items owed and counted, by one dimension: $dimension is one of
-- 'service', 'staff', 'type', 'month' (a service with several types counts
-- under each of them; a service without type under '-'). Items of excluded
-- services are not owed (docs/rules.md, counting): they stand in their own column. Months come
-- in calendar order, the other dimensions the least covered first.
WITH keyed AS (
    SELECT kind, reason, reason IS DISTINCT FROM 'service_excluded' AS owed,
           CASE $dimension WHEN 'service' THEN service_id WHEN 'staff' THEN staff_id
                           WHEN 'month' THEN strftime(start, '%Y-%m') END AS key,
           CASE $dimension WHEN 'service' THEN service_name WHEN 'staff' THEN staff_name END AS label,
           CASE WHEN $dimension = 'type' THEN coalesce(nullif(service_types, []), ['-']) ELSE [NULL] END AS type_keys
    FROM quarter_items
)
FROM (
SELECT coalesce(key, type_key) AS key, any_value(label) AS label,
       count(*) FILTER (kind = 'appointment' AND owed) AS appointments,
       count(*) FILTER (kind = 'appointment' AND reason IS NULL) AS appointments_counted,
       count(*) FILTER (kind = 'availability' AND owed) AS availabilities,
       count(*) FILTER (kind = 'availability' AND reason IS NULL) AS availabilities_counted,
       count(*) FILTER (NOT owed) AS excluded,
       round(100.0 * count(*) FILTER (reason IS NULL) / nullif(count(*) FILTER (owed), 0), 1) AS coverage_pct
FROM keyed, unnest(type_keys) AS t(type_key)
GROUP BY ALL
)
ORDER BY CASE WHEN $dimension = 'month' THEN key END, coverage_pct NULLS LAST, key

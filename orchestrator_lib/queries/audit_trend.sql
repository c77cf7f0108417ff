-- Coverage per quarter, for every quarter present in the data up to the one
-- of $until (never a future quarter), judged with today's catalogue and staff,
-- as the report of each quarter would be now. Coverage is counted over owed
-- (items of excluded services are not owed, docs/rules.md); NULL when nothing is owed.
SELECT year(start) AS year, quarter(start) AS quarter,
       count(*) AS total,
       count(*) FILTER (reason IS DISTINCT FROM 'service_excluded') AS owed,
       count(*) FILTER (reason IS NULL) AS counted
FROM remuneration_items
WHERE start < $until
GROUP BY ALL
ORDER BY year, quarter

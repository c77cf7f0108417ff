-- Coverage per quarter, for every quarter present in the data (judged with
-- today's catalogue and staff, as the report of each quarter would be now).
SELECT year(start) AS year, quarter(start) AS quarter,
       count(*) AS total, count(*) FILTER (reason IS NULL) AS counted,
       round(100.0 * count(*) FILTER (reason IS NULL) / count(*), 1) AS coverage_pct
FROM remuneration_items
GROUP BY ALL
ORDER BY year, quarter

-- Per quarter and kind, before and after the plan: items counted and owed
-- (owed = all but those of excluded services, docs/rules.md), and the items of the
-- services the plan lists that will still not be counted (kept inactive,
-- left without a type). Reads what_if_items (what_if.sql).
SELECT quarter, kind,
       count(*) FILTER (reason_before IS NULL) AS counted_before,
       count(*) FILTER (reason_before IS DISTINCT FROM 'service_excluded') AS owed_before,
       count(*) FILTER (reason_after IS NULL) AS counted_after,
       count(*) FILTER (reason_after IS DISTINCT FROM 'service_excluded') AS owed_after,
       count(*) FILTER (planned AND reason_after <> 'service_excluded') AS planned_not_counted_after
FROM what_if_items
GROUP BY ALL

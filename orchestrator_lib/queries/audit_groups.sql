-- The quarter's items in one pass: judged items (counting rule of docs/rules.md, view
-- remuneration_items) starting in [$start, $end) local time, counted by kind
-- and reason, and by service and staff member for the items not counted
-- (what the issues and checks name; the counted ones need no ids, and
-- grouping them by id would make a group for nearly every pair). Every figure
-- of the audit comes from this small table, so the millions of rows are read once.
-- held: the appointments among them that were held (status fulfilled).
CREATE OR REPLACE TEMP TABLE quarter_groups AS
SELECT kind, reason,
       CASE WHEN reason IS NOT NULL THEN service_id END AS service_id,
       CASE WHEN reason IS NOT NULL THEN staff_id END AS staff_id,
       count(*) AS items,
       count(*) FILTER (status = 'fulfilled') AS held
FROM remuneration_items
WHERE start >= $start AND start < $end
GROUP BY ALL

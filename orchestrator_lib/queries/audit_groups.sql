-- The quarter's items in one pass: judged items (SPEC §4 rule, view
-- remuneration_items) starting in [$start, $end) local time, counted by kind,
-- reason, service and staff member. Every figure of the audit comes from
-- this small table, so the millions of rows are read once.
CREATE OR REPLACE TEMP TABLE quarter_groups AS
SELECT kind, reason, service_id, staff_id, count(*) AS items
FROM remuneration_items
WHERE start >= $start AND start < $end
GROUP BY ALL

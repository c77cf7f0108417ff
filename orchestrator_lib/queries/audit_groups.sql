-- The judged items of the quarter (quarter_pairs, audit_pairs.sql; cancelled appointments
-- are not items) counted by kind and reason, and by service and staff member for the items
-- not counted (what the issues and checks name; the counted ones need no ids).
-- held: the appointments among them that were held (status fulfilled); fixable_*: those
-- that clearing their reason would count (what an issue puts at stake).
CREATE OR REPLACE TEMP TABLE quarter_groups AS
SELECT kind, reason,
       CASE WHEN reason IS NOT NULL THEN service_id END AS service_id,
       CASE WHEN reason IS NOT NULL THEN staff_id END AS staff_id,
       sum(items)::BIGINT AS items,
       coalesce(sum(items) FILTER (status = 'fulfilled'), 0)::BIGINT AS held,
       coalesce(sum(items) FILTER (fixable AND kind = 'availability'), 0)::BIGINT AS fixable_availabilities,
       coalesce(sum(items) FILTER (fixable AND status = 'fulfilled'), 0)::BIGINT AS fixable_held
FROM quarter_pairs
WHERE status IS DISTINCT FROM 'cancelled'
GROUP BY ALL

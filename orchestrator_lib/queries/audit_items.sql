-- The items of one quarter, judged (docs/rules.md, counting): every non-cancelled appointment
-- and every availability starting in [$start, $end) local time, with the first
-- reason it is not counted (NULL when counted) and the names to show.
CREATE OR REPLACE TEMP TABLE quarter_items AS
SELECT i.kind, i.item_id, i.service_id, i.staff_id, i.start, i.reason,
       coalesce(e.name, s.name, i.service_id) AS service_name,
       coalesce(m.name, i.staff_id) AS staff_name,
       s.types AS service_types
FROM remuneration_items i
LEFT JOIN services s USING (service_id)
LEFT JOIN emr_services e USING (service_id)
LEFT JOIN emr_staff m USING (staff_id)
WHERE i.start >= $start AND i.start < $end

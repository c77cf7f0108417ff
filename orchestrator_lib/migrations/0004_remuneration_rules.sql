-- The remuneration counting rule (docs/rules.md, counting), in one place. An appointment
-- (not cancelled) or an availability is counted when its service is imported
-- and active and its staff member is present and active; otherwise it is not
-- counted, under the first reason that applies, in this order.
CREATE MACRO reason_not_counted(service_imported, service_excluded, service_active, staff_present, staff_active) AS
    CASE
        WHEN NOT service_imported THEN 'service_not_imported'
        WHEN service_excluded THEN 'service_excluded'
        WHEN NOT service_active THEN 'service_inactive'
        WHEN NOT staff_present THEN 'staff_missing'
        WHEN NOT staff_active THEN 'staff_inactive'
    END;

-- Every item the remuneration report looks at, with the reason it is not
-- counted today (NULL when counted). Times are local (see store.py).
CREATE VIEW remuneration_items AS
WITH items AS (
    SELECT 'appointment' AS kind, appointment_id AS item_id, service_id, staff_id, start
    FROM emr_appointments WHERE status <> 'cancelled'
    UNION ALL
    SELECT 'availability', availability_id, service_id, staff_id, start
    FROM emr_availabilities
)
SELECT i.kind, i.item_id, i.service_id, i.staff_id, i.start,
       reason_not_counted(s.service_id IS NOT NULL, coalesce(s.excluded, false), coalesce(s.status = 'active', false),
                          m.staff_id IS NOT NULL, coalesce(m.status = 'active', false)) AS reason
FROM items i
LEFT JOIN services s USING (service_id)
LEFT JOIN emr_staff m USING (staff_id);

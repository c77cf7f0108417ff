-- What the counting rule (reason_not_counted, migration 0004) needs to know of
-- every item the remuneration report looks at, as plain facts: the audit
-- judges them with the catalogue as it is (remuneration_items), the wizard's
-- what-if with the catalogue as a plan would leave it (queries/what_if.sql).
-- One rule, one list of items, two catalogues.
CREATE VIEW remuneration_facts AS
WITH items AS (
    SELECT 'appointment' AS kind, appointment_id AS item_id, service_id, staff_id, start
    FROM emr_appointments WHERE status <> 'cancelled'
    UNION ALL
    SELECT 'availability', availability_id, service_id, staff_id, start
    FROM emr_availabilities
)
SELECT i.kind, i.item_id, i.service_id, i.staff_id, i.start,
       s.service_id IS NOT NULL AS service_imported,
       coalesce(s.excluded, false) AS service_excluded,
       coalesce(s.status = 'active', false) AS service_active,
       m.staff_id IS NOT NULL AS staff_present,
       coalesce(m.status = 'active', false) AS staff_active
FROM items i
LEFT JOIN services s USING (service_id)
LEFT JOIN emr_staff m USING (staff_id);

-- Every item with the reason it is not counted today (NULL when counted).
-- Items of excluded services are reported but not owed (docs/rules.md, counting).
CREATE OR REPLACE VIEW remuneration_items AS
SELECT kind, item_id, service_id, staff_id, start,
       reason_not_counted(service_imported, service_excluded, service_active, staff_present, staff_active) AS reason
FROM remuneration_facts;

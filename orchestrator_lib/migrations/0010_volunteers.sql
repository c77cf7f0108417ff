-- Volunteers (the *Volontaire* box of Personnel médical): on the GAP report only the
-- availabilities of volunteers count. An availability of an active member who is not a
-- volunteer is not counted, reason staff_not_volunteer, last in the order of the rule;
-- appointments are not affected. An export without the column counts everyone as a
-- volunteer, and its load says so (emr_loads.volunteer_column = false).
ALTER TABLE emr_staff ADD COLUMN volunteer BOOLEAN DEFAULT true;
UPDATE emr_staff SET volunteer = true;
ALTER TABLE emr_loads ADD COLUMN volunteer_column BOOLEAN;

CREATE OR REPLACE MACRO reason_not_counted(kind, service_imported, service_excluded, service_active, staff_present,
                                           staff_active, staff_volunteer) AS
    CASE
        WHEN NOT service_imported THEN 'service_not_imported'
        WHEN service_excluded THEN 'service_excluded'
        WHEN NOT service_active THEN 'service_inactive'
        WHEN NOT staff_present THEN 'staff_missing'
        WHEN NOT staff_active THEN 'staff_inactive'
        WHEN kind = 'availability' AND NOT staff_volunteer THEN 'staff_not_volunteer'
    END;

CREATE OR REPLACE VIEW remuneration_facts AS
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
       coalesce(m.status = 'active', false) AS staff_active,
       coalesce(m.volunteer, true) AS staff_volunteer
FROM items i
LEFT JOIN services s USING (service_id)
LEFT JOIN emr_staff m USING (staff_id);

CREATE OR REPLACE VIEW remuneration_items AS
SELECT kind, item_id, service_id, staff_id, start,
       reason_not_counted(kind, service_imported, service_excluded, service_active, staff_present, staff_active,
                          staff_volunteer) AS reason
FROM remuneration_facts;

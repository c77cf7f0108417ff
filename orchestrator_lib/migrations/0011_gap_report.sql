-- The GAP report as the orchestrator's help centre says it is paid (docs/rules.md):
-- the appointments held count as well as the offer, slots made before their service
-- was configured are not eligible, and the clinic may record what each is worth to it.

-- The counting rule with volunteers (0010): an availability of an active member who is not a
-- volunteer is not counted, reason staff_not_volunteer, last in the order; appointments are
-- not affected.
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

-- Items keep their appointment status (NULL for an availability): held = 'fulfilled'.
CREATE OR REPLACE VIEW remuneration_facts AS
WITH items AS (
    SELECT 'appointment' AS kind, appointment_id AS item_id, service_id, staff_id, start, status
    FROM emr_appointments WHERE status <> 'cancelled'
    UNION ALL
    SELECT 'availability', availability_id, service_id, staff_id, start, NULL
    FROM emr_availabilities
)
SELECT i.kind, i.item_id, i.service_id, i.staff_id, i.start, i.status,
       s.service_id IS NOT NULL AS service_imported,
       coalesce(s.excluded, false) AS service_excluded,
       coalesce(s.status = 'active', false) AS service_active,
       m.staff_id IS NOT NULL AS staff_present,
       coalesce(m.status = 'active', false) AS staff_active,
       coalesce(m.volunteer, true) AS staff_volunteer
FROM items i
LEFT JOIN services s USING (service_id)
LEFT JOIN emr_staff m USING (staff_id);

-- fixable: an item not counted that its reason alone keeps out (once that reason is
-- cleared, it counts): what an issue puts at stake. A service reason needs the member
-- present, active and, for an availability, a volunteer; an inactive member, a volunteer.
-- A member missing from Personnel médical is counted as created active and a volunteer.
CREATE OR REPLACE VIEW remuneration_items AS
SELECT kind, item_id, service_id, staff_id, start, status,
       reason_not_counted(kind, service_imported, service_excluded, service_active, staff_present, staff_active,
                          staff_volunteer) AS reason,
       CASE WHEN NOT service_imported OR service_excluded OR NOT service_active
                THEN staff_present AND staff_active AND (kind = 'appointment' OR staff_volunteer)
            WHEN staff_present AND NOT staff_active THEN kind = 'appointment' OR staff_volunteer
            ELSE true END AS fixable
FROM remuneration_facts;

-- When each service was last configured for the report: the reference time (as_of, else
-- the time it was applied) of the latest run, not undone, that made it active. Only
-- availabilities published after that moment are eligible.
CREATE OR REPLACE VIEW service_configured AS
SELECT c.service_id, max(coalesce(r.as_of, r.applied_at::TIMESTAMP)) AS configured_at
FROM run_changes c
JOIN runs r USING (run_id)
WHERE r.undone_by IS NULL AND c.after_exists AND c.after_status = 'active'
  AND (NOT c.before_exists OR c.before_status IS DISTINCT FROM 'active')
GROUP BY c.service_id;

-- The clinic's own amounts (never a built-in default): per counted availability and per
-- appointment held, in dollars. Every change is kept in rate_changes.
CREATE TABLE rates (
    kind   VARCHAR PRIMARY KEY CHECK (kind IN ('availability', 'held')),
    amount DECIMAL(12, 2) NOT NULL CHECK (amount >= 0),
    set_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    set_by VARCHAR NOT NULL
);

CREATE SEQUENCE rate_change_numbers;

CREATE TABLE rate_changes (
    number     INTEGER PRIMARY KEY DEFAULT nextval('rate_change_numbers'),
    changed_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    changed_by VARCHAR NOT NULL,
    kind       VARCHAR NOT NULL,
    before     DECIMAL(12, 2),  -- NULL: not set before
    after      DECIMAL(12, 2)   -- NULL: removed
);

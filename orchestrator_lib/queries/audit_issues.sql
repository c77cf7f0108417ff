-- What must be fixed for the quarter's items to be counted: one row per reason
-- and per service (service reasons) or staff member (staff reasons), with the
-- items at stake and, for a service never imported, where the EMR stands.
-- Reads the temp table quarter_groups (audit_groups.sql); names are joined last.
WITH missed AS (
    SELECT kind, service_id, staff_id, reason, items, held, fixable_availabilities, fixable_held,
           CASE WHEN reason LIKE 'service%' THEN service_id ELSE staff_id END AS subject_id,
           CASE WHEN reason LIKE 'service%' THEN service_id END AS service_key,
           CASE WHEN reason LIKE 'staff%' THEN staff_id END AS staff_key
    FROM quarter_groups
    WHERE reason IS NOT NULL AND reason <> 'service_excluded'  -- not owed: the clinic chose so (checks say if by mistake)
),
grouped AS (
    SELECT reason, subject_id, service_key, staff_key,
           coalesce(sum(items) FILTER (kind = 'appointment'), 0)::BIGINT AS appointments,
           coalesce(sum(items) FILTER (kind = 'availability'), 0)::BIGINT AS availabilities,
           coalesce(sum(held), 0)::BIGINT AS held,
           coalesce(sum(fixable_availabilities), 0)::BIGINT AS fixable_availabilities,
           coalesce(sum(fixable_held), 0)::BIGINT AS fixable_held,
           list_sort(list(DISTINCT staff_id)) AS staff_ids,
           list_sort(list(DISTINCT service_id)) AS service_ids
    FROM missed
    GROUP BY ALL
)
SELECT g.reason, g.subject_id,
       CASE WHEN g.reason LIKE 'service%' THEN coalesce(e.name, s.name, g.subject_id)
            ELSE coalesce(m.name, g.subject_id) END AS subject_name,
       g.appointments, g.availabilities, g.held, g.fixable_availabilities, g.fixable_held, g.staff_ids, g.service_ids, e.emr_status
FROM grouped g
LEFT JOIN emr_services e ON e.service_id = g.service_key
LEFT JOIN services s ON s.service_id = g.service_key
LEFT JOIN emr_staff m ON m.staff_id = g.staff_key
ORDER BY g.appointments + g.availabilities DESC, g.subject_id

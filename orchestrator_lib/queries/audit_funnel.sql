-- The quarter's offer and what became of the appointments (docs/rules.md, the funnel):
-- since the 2024 agreement the report pays for the offer and for the appointments held.
-- Over the owed scope: the items of excluded services (Pause, Vacances…) are left out.
-- One row per staff member, per service, and for the whole quarter (GROUPING SETS).
WITH items AS (
    SELECT 'appointment' AS kind, service_id, staff_id, status
    FROM emr_appointments WHERE start >= $start AND start < $end
    UNION ALL
    SELECT 'availability', service_id, staff_id, NULL
    FROM emr_availabilities WHERE start >= $start AND start < $end
),
owed AS (
    SELECT i.* FROM items i LEFT JOIN services s USING (service_id) WHERE NOT coalesce(s.excluded, false)
),
tallies AS (
    SELECT CASE WHEN GROUPING(staff_id) = 0 THEN 'staff' WHEN GROUPING(service_id) = 0 THEN 'service' ELSE 'total' END
               AS level,
           coalesce(staff_id, service_id) AS id,
           count(*) FILTER (kind = 'availability') AS offered,
           count(*) FILTER (kind = 'appointment') AS booked,
           count(*) FILTER (status = 'fulfilled') AS held,
           count(*) FILTER (status = 'noshow') AS noshow,
           count(*) FILTER (status = 'cancelled') AS cancelled,
           count(*) FILTER (status = 'booked') AS pending
    FROM owed
    GROUP BY GROUPING SETS ((staff_id), (service_id), ())
)
SELECT t.level, t.id,
       CASE t.level WHEN 'staff' THEN coalesce(m.name, t.id) WHEN 'service' THEN coalesce(e.name, s.name, t.id) END
           AS name,
       t.offered, t.booked, t.held, t.noshow, t.cancelled, t.pending
FROM tallies t
LEFT JOIN emr_staff m ON t.level = 'staff' AND m.staff_id = t.id
LEFT JOIN emr_services e ON t.level = 'service' AND e.service_id = t.id
LEFT JOIN services s ON t.level = 'service' AND s.service_id = t.id
ORDER BY t.level = 'total' DESC, t.level, t.booked + t.offered DESC, t.id

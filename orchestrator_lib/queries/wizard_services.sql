-- Every service the synchronisation wizard may list (docs/rules.md, the wizard), with what its
-- rules need: pending (active in the EMR, never imported) or imported (with
-- its state), and its future appointments: not cancelled, starting at or
-- after $as_of (local time).
WITH future AS (
    SELECT service_id, count(*) AS future_appointments
    FROM emr_appointments
    WHERE status <> 'cancelled' AND start >= $as_of
    GROUP BY service_id
)
SELECT p.service_id, p.name, false AS imported, false AS excluded, NULL AS status,
       []::VARCHAR[] AS types, coalesce(f.future_appointments, 0) AS future_appointments
FROM pending_services p
LEFT JOIN future f USING (service_id)
UNION ALL
SELECT s.service_id, coalesce(e.name, s.name), true, s.excluded, s.status,
       list_sort(s.types), coalesce(f.future_appointments, 0)
FROM services s
LEFT JOIN emr_services e USING (service_id)
LEFT JOIN future f USING (service_id)
ORDER BY service_id

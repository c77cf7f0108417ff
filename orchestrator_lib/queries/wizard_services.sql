-- Every service the synchronisation wizard may list (docs/rules.md, the wizard), with what its
-- rules need: pending (active in the EMR, never imported) or imported (with its
-- state), its future appointments and whether the sync reactivates it (both
-- macros of migrations/0008, the rules' one place).
SELECT p.service_id, p.name, false AS imported, false AS excluded, NULL AS status,
       []::VARCHAR[] AS types, coalesce(f.future_appointments, 0) AS future_appointments,
       false AS will_reactivate
FROM pending_services p
LEFT JOIN future_appointments($as_of) f USING (service_id)
UNION ALL
SELECT s.service_id, coalesce(e.name, s.name), true, s.excluded, s.status,
       list_sort(s.types), coalesce(f.future_appointments, 0), r.service_id IS NOT NULL
FROM services s
LEFT JOIN emr_services e USING (service_id)
LEFT JOIN future_appointments($as_of) f USING (service_id)
LEFT JOIN will_reactivate($as_of) r USING (service_id)
ORDER BY service_id

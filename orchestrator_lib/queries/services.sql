-- Imported services, as the Actifs / Inactifs tabs show them (docs/rules.md, service states).
-- $tab: 'active' | 'inactive' | NULL (both); $search: text found in the name or
-- id, ignoring case and accents, or NULL. The EMR's current name wins.
SELECT s.service_id,
       coalesce(e.name, s.name) AS name,
       s.status,
       s.excluded,
       list_sort(s.types) AS types
FROM services s
LEFT JOIN emr_services e USING (service_id)
WHERE ($tab IS NULL OR s.status = $tab)
  AND ($search IS NULL OR contains(fold_text(s.service_id || ' ' || coalesce(e.name, s.name)),
                                   fold_text($search)))
ORDER BY s.service_id

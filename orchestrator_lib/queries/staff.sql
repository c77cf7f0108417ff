-- Personnel médical, as its Actifs / Inactifs tabs show it.
-- $tab: 'active' | 'inactive' | NULL (both).
SELECT staff_id, name, status, license, role, specialty, responsible, primary_care(specialty) AS primary_care
FROM emr_staff
WHERE ($tab IS NULL OR status = $tab)
ORDER BY staff_id

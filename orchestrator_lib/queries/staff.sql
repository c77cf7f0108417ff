-- Personnel médical, as its Actifs / Inactifs tabs show it.
-- $tab: 'active' | 'inactive' | NULL (both).
-- volunteer: the Volontaire box; NULL when the last export had no such column
-- (everyone is then counted as a volunteer, and the audit says the column was absent).
SELECT staff_id, name, status, license, role, specialty, responsible,
       CASE WHEN (SELECT coalesce(volunteer_column, false) FROM emr_loads ORDER BY load_id DESC LIMIT 1)
            THEN volunteer END AS volunteer,
       primary_care(specialty) AS primary_care
FROM emr_staff
WHERE ($tab IS NULL OR status = $tab)
ORDER BY staff_id

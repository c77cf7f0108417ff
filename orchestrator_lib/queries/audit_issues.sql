-- What must be fixed for the quarter's items to be counted: one row per reason
-- and per service (service reasons) or staff member (staff reasons), with the
-- items at stake and, for a service never imported, where the EMR stands.
SELECT q.reason,
       CASE WHEN q.reason LIKE 'service%' THEN q.service_id ELSE q.staff_id END AS subject_id,
       any_value(CASE WHEN q.reason LIKE 'service%' THEN q.service_name ELSE q.staff_name END) AS subject_name,
       count(*) FILTER (q.kind = 'appointment') AS appointments,
       count(*) FILTER (q.kind = 'availability') AS availabilities,
       list_sort(list(DISTINCT q.staff_id)) AS staff_ids,
       list_sort(list(DISTINCT q.service_id)) AS service_ids,
       any_value(e.emr_status) AS emr_status
FROM quarter_items q
LEFT JOIN emr_services e USING (service_id)
WHERE q.reason IS NOT NULL
GROUP BY ALL
ORDER BY appointments + availabilities DESC, subject_id

-- What the data covers: the last load that changed the EMR side (when, from
-- where, whether its staff had the volunteer column) and the start of the last appointment
-- and availability it holds.
SELECT l.loaded_at, l.source, coalesce(l.volunteer_column, false) AS volunteer_column,
       (SELECT max(start) FROM emr_appointments) AS last_appointment,
       (SELECT max(start) FROM emr_availabilities) AS last_availability
FROM (SELECT 1) AS one
LEFT JOIN (SELECT loaded_at, source, volunteer_column FROM emr_loads ORDER BY load_id DESC LIMIT 1) AS l ON true

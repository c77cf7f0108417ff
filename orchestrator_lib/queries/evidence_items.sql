-- The evidence pack's items (docs/evidence.md): every appointment, cancelled ones included,
-- and every availability starting in [$start, $end) local time, as the audit judged it.
-- reason: why it is not counted (NULL when counted; 'cancelled' for a cancelled
-- appointment, which the report never counts); not_eligible: an availability counted
-- here but published before its service was configured (the GAP report leaves it out).
-- Patients appear only by their keyed pseudonym: the reference never reached the database.
CREATE OR REPLACE TEMP TABLE pack_items AS
WITH judged AS (
    SELECT kind, item_id, reason FROM remuneration_items WHERE start >= $start AND start < $end
)
SELECT 'appointment' AS kind, a.appointment_id AS item_id, a.service_id,
       coalesce(e.name, s.name, a.service_id) AS service_name, a.staff_id, coalesce(m.name, a.staff_id) AS staff_name,
       a.start, a."end", a.status, NULL::TIMESTAMP AS published_at,
       CASE WHEN a.status = 'cancelled' THEN 'cancelled' ELSE j.reason END AS reason,
       false AS not_eligible, a.patient_hash AS patient_pseudonym
FROM emr_appointments a
LEFT JOIN judged j ON j.kind = 'appointment' AND j.item_id = a.appointment_id
LEFT JOIN services s ON s.service_id = a.service_id
LEFT JOIN emr_services e ON e.service_id = a.service_id
LEFT JOIN emr_staff m ON m.staff_id = a.staff_id
WHERE a.start >= $start AND a.start < $end
UNION ALL
SELECT 'availability', v.availability_id, v.service_id, coalesce(e.name, s.name, v.service_id), v.staff_id,
       coalesce(m.name, v.staff_id), v.start, v."end", NULL, v.published_at, j.reason,
       coalesce(j.reason IS NULL AND v.published_at < c.configured_at, false), NULL
FROM emr_availabilities v
JOIN judged j ON j.kind = 'availability' AND j.item_id = v.availability_id
LEFT JOIN service_configured c ON c.service_id = v.service_id
LEFT JOIN services s ON s.service_id = v.service_id
LEFT JOIN emr_services e ON e.service_id = v.service_id
LEFT JOIN emr_staff m ON m.staff_id = v.staff_id
WHERE v.start >= $start AND v.start < $end
ORDER BY kind, start, item_id

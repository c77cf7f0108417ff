-- The quarter's items in one pass (docs/rules.md, counting): judged items (view
-- remuneration_items) starting in [$start, $end) local time, and the cancelled
-- appointments (never items, but part of the funnel), counted per kind, reason, service,
-- staff member, status and whether its reason alone keeps it out (fixable). A pair of (service, staff member) is one row per reason and
-- status: far fewer rows than items, so every figure of the audit (audit_groups.sql, the
-- funnel) comes from this small table and the millions of rows are read once.
CREATE OR REPLACE TEMP TABLE quarter_pairs AS
SELECT kind, reason, service_id, staff_id, status, reason IS NOT NULL AND fixable AS fixable, count(*) AS items
FROM remuneration_items
WHERE start >= $start AND start < $end
GROUP BY ALL
UNION ALL
SELECT 'appointment', CASE WHEN s.excluded THEN 'service_excluded' END, a.service_id, a.staff_id, 'cancelled', false,
       count(*)
FROM emr_appointments a
LEFT JOIN services s USING (service_id)
WHERE a.status = 'cancelled' AND a.start >= $start AND a.start < $end
GROUP BY ALL

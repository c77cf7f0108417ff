-- What a plan does to the remuneration count (counting rule of docs/rules.md, the
-- reason_not_counted macro) of the quarters [$previous_start, $current_start)
-- and [$current_start, $current_end): every item of both quarters judged
-- twice, with the catalogue as it is now and as the plan would leave it.
-- $changes: one struct per service the plan changes, with its state after.
-- Read by what_if_totals.sql and what_if_services.sql.
CREATE OR REPLACE TEMP TABLE what_if_items AS
WITH changes AS (
    SELECT unnest($changes::STRUCT(service_id VARCHAR, after_imported BOOLEAN, after_excluded BOOLEAN,
                                   after_active BOOLEAN)[], recursive := true)
)
SELECT f.kind, f.service_id, c.service_id IS NOT NULL AS planned,
       CASE WHEN f.start < $current_start THEN 'previous' ELSE 'current' END AS quarter,
       reason_not_counted(f.kind, f.service_imported, f.service_excluded, f.service_active,
                          f.staff_present, f.staff_active, f.staff_volunteer) AS reason_before,
       reason_not_counted(f.kind, coalesce(c.after_imported, f.service_imported),
                          coalesce(c.after_excluded, f.service_excluded),
                          coalesce(c.after_active, f.service_active),
                          f.staff_present, f.staff_active, f.staff_volunteer) AS reason_after
FROM remuneration_facts f
LEFT JOIN changes c USING (service_id)
WHERE f.start >= $previous_start AND f.start < $current_end

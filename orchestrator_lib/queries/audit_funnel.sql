-- The quarter's offer and what became of the appointments (docs/rules.md, the funnel):
-- since the 2024 agreement the report pays for the offer and for the appointments held.
-- Over the owed scope: the items of excluded services (Pause, Vacances…) are left out.
-- One row per staff member, per service, and for the whole quarter (GROUPING SETS).
-- Reads quarter_pairs (audit_pairs.sql).
WITH owed AS (
    SELECT service_id, staff_id,
           coalesce(sum(items) FILTER (kind = 'availability'), 0) AS offered,
           coalesce(sum(items) FILTER (kind = 'appointment'), 0) AS booked,
           coalesce(sum(items) FILTER (status = 'fulfilled'), 0) AS held,
           coalesce(sum(items) FILTER (status = 'noshow'), 0) AS noshow,
           coalesce(sum(items) FILTER (status = 'cancelled'), 0) AS cancelled,
           coalesce(sum(items) FILTER (kind = 'appointment' AND status = 'booked'), 0) AS pending
    FROM quarter_pairs
    WHERE reason IS DISTINCT FROM 'service_excluded'
    GROUP BY ALL
),
tallies AS MATERIALIZED (
    SELECT CASE WHEN GROUPING(staff_id) = 0 THEN 'staff' WHEN GROUPING(service_id) = 0 THEN 'service' ELSE 'total' END
               AS level,
           coalesce(staff_id, service_id) AS id,
           sum(offered)::BIGINT AS offered, sum(booked)::BIGINT AS booked, sum(held)::BIGINT AS held,
           sum(noshow)::BIGINT AS noshow, sum(cancelled)::BIGINT AS cancelled, sum(pending)::BIGINT AS pending
    FROM owed
    GROUP BY GROUPING SETS ((staff_id), (service_id), ())
),
-- Names joined per level, each on one key (a join on "level and id" is far slower).
named AS (
    SELECT t.level, t.id, coalesce(m.name, t.id) AS name, t.offered, t.booked, t.held, t.noshow, t.cancelled, t.pending
    FROM tallies t LEFT JOIN emr_staff m ON m.staff_id = t.id
    WHERE t.level = 'staff'
    UNION ALL
    SELECT t.level, t.id, coalesce(e.name, s.name, t.id), t.offered, t.booked, t.held, t.noshow, t.cancelled, t.pending
    FROM tallies t LEFT JOIN emr_services e ON e.service_id = t.id LEFT JOIN services s ON s.service_id = t.id
    WHERE t.level = 'service'
    UNION ALL
    SELECT t.level, t.id, NULL, t.offered, t.booked, t.held, t.noshow, t.cancelled, t.pending
    FROM tallies t
    WHERE t.level = 'total'
)
SELECT * FROM named
ORDER BY level = 'total' DESC, level, booked + offered DESC, id

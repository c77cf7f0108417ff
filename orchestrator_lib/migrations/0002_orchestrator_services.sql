-- Orchestrator side (docs/rules.md, service states): what the clinic decided about each imported
-- service. Kept apart from the EMR tables so that reloading an export never
-- touches a decision.

CREATE TABLE service_types (
    code     VARCHAR PRIMARY KEY,
    label_fr VARCHAR NOT NULL,
    label_en VARCHAR NOT NULL,
    position INTEGER NOT NULL
);

-- The default catalogue: the five reasons for consultation of the regulation.
INSERT INTO service_types VALUES
    ('urgent',            'Urgent',               'Urgent',               1),
    ('semi_urgent',       'Semi-urgent',          'Semi-urgent',          2),
    ('suivi_grossesse',   'Suivi de grossesse',   'Pregnancy follow-up',  3),
    ('suivi_pediatrique', 'Suivi pédiatrique',    'Paediatric follow-up', 4),
    ('suivi_regulier',    'Suivi régulier',       'Regular follow-up',    5);

CREATE TABLE services (
    service_id  VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,       -- name at import; the EMR's current name wins when known
    excluded    BOOLEAN NOT NULL DEFAULT false,
    status      VARCHAR NOT NULL CHECK (status IN ('active', 'inactive')),
    types       VARCHAR[] NOT NULL DEFAULT [],
    imported_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,  -- every later change is in the history
    -- The invariants of docs/rules.md, enforced by the database itself.
    CHECK (NOT excluded OR status = 'inactive'),
    CHECK (status <> 'active' OR len(types) > 0)
);

-- Pending services (docs/rules.md, the wizard): active in the EMR and never imported.
CREATE VIEW pending_services AS
SELECT e.service_id, e.name
FROM emr_services e
WHERE e.emr_status = 'active'
  AND NOT EXISTS (SELECT 1 FROM services s WHERE s.service_id = e.service_id);

-- History of every change to the orchestrator's services (docs/rules.md, the wizard): wizard
-- runs, manual changes and undos. Each change keeps the state before and
-- after, so any run can be explained and the latest one undone exactly.

CREATE SEQUENCE run_numbers;

CREATE TABLE runs (
    run_id     VARCHAR PRIMARY KEY,           -- 'run-0001', …
    number     INTEGER NOT NULL UNIQUE,
    kind       VARCHAR NOT NULL CHECK (kind IN ('sync', 'manual', 'undo')),
    applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    applied_by VARCHAR NOT NULL,
    as_of      TIMESTAMP,                     -- the wizard's reference time (local)
    undoes     VARCHAR,                       -- for an undo: the run it reverted
    undone_by  VARCHAR                        -- set when this run was undone
);

CREATE TABLE run_changes (
    run_id          VARCHAR NOT NULL,
    service_id      VARCHAR NOT NULL,
    name            VARCHAR NOT NULL,
    decision        VARCHAR NOT NULL,         -- excluded | kept_inactive | typed | auto_reactivated | auto_deactivated | activate | deactivate | exclude | include | set_types | undo
    before_exists   BOOLEAN NOT NULL,         -- false: the run imported the service
    before_excluded BOOLEAN,
    before_status   VARCHAR,
    before_types    VARCHAR[],
    after_exists    BOOLEAN NOT NULL,         -- false: the run removed it (undo of an import)
    after_excluded  BOOLEAN,
    after_status    VARCHAR,
    after_types     VARCHAR[],
    PRIMARY KEY (run_id, service_id)
);

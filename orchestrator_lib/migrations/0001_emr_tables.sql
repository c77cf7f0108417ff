-- EMR side (docs/export-format.md): a copy of the clinic's latest export, replaced wholesale
-- by each load. Nothing the orchestrator decides is ever stored here.
-- Datetimes are local wall-clock times in America/Montreal (see store.py).

CREATE TABLE emr_services (
    service_id  VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    emr_status  VARCHAR NOT NULL,   -- active | inactive
    created_at  TIMESTAMP
);

CREATE TABLE emr_staff (
    staff_id    VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    status      VARCHAR NOT NULL,   -- active | inactive (Personnel médical tab)
    license     VARCHAR,
    role        VARCHAR,            -- medecin | ips | infirmiere | gestionnaire | autre
    specialty   VARCHAR,
    responsible BOOLEAN NOT NULL    -- the responsible physician of the GAP report
);

-- No primary keys on the two big tables: the loader checks uniqueness once,
-- which is far cheaper than maintaining an index over millions of rows.
CREATE TABLE emr_appointments (
    appointment_id VARCHAR NOT NULL,
    service_id     VARCHAR NOT NULL,
    staff_id       VARCHAR NOT NULL,
    start          TIMESTAMP NOT NULL,
    "end"          TIMESTAMP,
    status         VARCHAR NOT NULL, -- booked | fulfilled | noshow | cancelled
    patient_hash   VARCHAR           -- keyed hash of patient_ref, never the reference itself
);

CREATE TABLE emr_availabilities (
    availability_id VARCHAR NOT NULL,
    service_id      VARCHAR NOT NULL,
    staff_id        VARCHAR NOT NULL,
    start           TIMESTAMP NOT NULL,
    "end"           TIMESTAMP NOT NULL,
    published_at    TIMESTAMP,
    reason          VARCHAR,
    clientele       VARCHAR,
    mode            VARCHAR,
    referral_source VARCHAR,
    location        VARCHAR
);

-- One row per load that changed the EMR side.
CREATE SEQUENCE emr_load_ids;
CREATE TABLE emr_loads (
    load_id        INTEGER PRIMARY KEY DEFAULT nextval('emr_load_ids'),
    loaded_at      TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    loaded_by      VARCHAR NOT NULL,
    source         VARCHAR NOT NULL,
    fingerprint    VARCHAR,          -- digest of the EMR side, computed when first needed
    services       INTEGER NOT NULL,
    staff          INTEGER NOT NULL,
    appointments   BIGINT NOT NULL,
    availabilities BIGINT NOT NULL
);

CREATE TABLE settings (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

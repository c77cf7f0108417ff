-- An incremental FHIR read starts from the newest change the previous load
-- of the same server saw (its meta.lastUpdated, server clock).
ALTER TABLE emr_loads ADD COLUMN high_water TIMESTAMPTZ;

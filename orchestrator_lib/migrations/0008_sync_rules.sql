-- Two rules of the synchronisation (docs/rules.md, the wizard), written once here
-- and read by the wizard, explain and the audit's checks alike.

-- A future appointment: not cancelled, starting at or after the sync's reference
-- time (local wall-clock time, as the EMR tables store it). One row per service.
CREATE OR REPLACE MACRO future_appointments(as_of) AS TABLE
    SELECT service_id, count(*) AS future_appointments
    FROM emr_appointments
    WHERE status <> 'cancelled' AND start >= as_of
    GROUP BY service_id;

-- The imported services the next sync reactivates automatically: included,
-- inactive, with a future appointment (never an excluded one).
CREATE OR REPLACE MACRO will_reactivate(as_of) AS TABLE
    SELECT s.service_id, f.future_appointments
    FROM services s
    JOIN future_appointments(as_of) f USING (service_id)
    WHERE NOT s.excluded AND s.status = 'inactive';

-- Text compared as people type it: without case, accents or surrounding spaces
-- (the wizard's search folds the same way in Python: wizard.fold).
CREATE OR REPLACE MACRO fold_text(t) AS strip_accents(lower(trim(t)));

-- Whether the orchestrator handles a specialty (primary care). No specialty is
-- not flagged: it is not a physician's.
CREATE OR REPLACE MACRO primary_care(specialty) AS
    specialty IS NULL OR list_contains(['medecine familiale', 'medecine de famille', 'medecine generale',
                                        'omnipratique', 'soins de premiere ligne'], fold_text(specialty));

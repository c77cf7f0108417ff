-- Volunteers (the *Volontaire* box of Personnel médical): on the GAP report only the
-- availabilities of volunteers count. An availability of an active member who is not a
-- volunteer is not counted, reason staff_not_volunteer, last in the order of the rule;
-- appointments are not affected. An export without the column counts everyone as a
-- volunteer, and its load says so (emr_loads.volunteer_column = false). The rule that reads the
-- column (reason_not_counted, remuneration_facts) is in 0011_gap_report.sql.
ALTER TABLE emr_staff ADD COLUMN volunteer BOOLEAN DEFAULT true;
UPDATE emr_staff SET volunteer = true;
ALTER TABLE emr_loads ADD COLUMN volunteer_column BOOLEAN;

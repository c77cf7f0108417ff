-- One row every write transaction of a clinic on a shared store bumps first (store.writing):
-- DuckLake then refuses the second of two writers that overlap, even when both only add
-- rows, and store.write runs it again on the state the first one left.
CREATE TABLE write_turns (turn BIGINT NOT NULL);
INSERT INTO write_turns VALUES (0);

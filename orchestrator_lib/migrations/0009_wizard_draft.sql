-- The dashboard's wizard, not yet applied: its choices are kept here at each change, so that a
-- page reloaded (or a browser closed) finds them again. One draft per database; applying the
-- wizard, or abandoning the draft, deletes it.
CREATE TABLE wizard_draft (
    draft    INTEGER PRIMARY KEY CHECK (draft = 1),
    saved_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    saved_by VARCHAR NOT NULL,
    step     INTEGER NOT NULL,
    choices  VARCHAR NOT NULL  -- JSON: {"exclude": [id], "inactive": [id], "types": {id: [type]}}
);

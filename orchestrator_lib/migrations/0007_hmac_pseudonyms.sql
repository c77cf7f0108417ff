-- Patient pseudonyms become HMAC-SHA256 (load.py), and the database keeps
-- only an HMAC check of the key (store.patient_key). The pseudonyms made
-- before were a secret-prefix SHA-256, and plain SHA-256 when an empty key
-- file was read: reversible by dictionary. They cannot be recomputed (a
-- clear reference is never kept), so they are erased here, in this
-- migration's transaction; nothing reads them, and the next load, which
-- replaces the EMR side, writes HMAC ones. The old key fingerprint, a plain
-- SHA-256 that let a passphrase be guessed offline, goes with them.
UPDATE emr_appointments SET patient_hash = NULL WHERE patient_hash IS NOT NULL;
DELETE FROM settings WHERE key = 'patient_key_fingerprint';

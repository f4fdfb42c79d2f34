-- Provenance: an OCR value a clerk accepted without typing it is "ocr-accepted" (who accepted
-- it is user_id), kept apart from values the clerk keyed. SQLite cannot change a CHECK, so the
-- table is rebuilt with its rows, ids and index.
CREATE TABLE field_values_new (
    id           INTEGER PRIMARY KEY,
    document_id  INTEGER NOT NULL REFERENCES documents(id),
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('ocr','ocr-accepted','keyed','corrected','double-keyed')),
    confidence   REAL NOT NULL DEFAULT 0,
    user_id      INTEGER REFERENCES users(id),
    created_at   TEXT NOT NULL,
    current      INTEGER NOT NULL DEFAULT 1   -- history: older values have current = 0
) STRICT;
INSERT INTO field_values_new(id, document_id, key, value, source, confidence, user_id, created_at, current)
    SELECT id, document_id, key, value, source, confidence, user_id, created_at, current FROM field_values;
DROP TABLE field_values;
ALTER TABLE field_values_new RENAME TO field_values;
CREATE UNIQUE INDEX field_values_current ON field_values(document_id, key) WHERE current = 1;

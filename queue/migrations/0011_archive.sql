-- Archive metadata (Circular 05/2025/TT-BNV, internal/archive): JSON of archive.File /
-- archive.Document, validated before it is stored. Defaults per office and record type
-- ('' = any), a batch's own values (the batch as an archive file), a document's own values.
CREATE TABLE archive_defaults (
    office      TEXT NOT NULL,
    record_type TEXT NOT NULL,
    meta        TEXT NOT NULL,
    updated_by  INTEGER NOT NULL REFERENCES users(id),
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (office, record_type)
) STRICT;

CREATE TABLE batch_archive (
    batch_id    TEXT PRIMARY KEY REFERENCES batches(id),
    meta        TEXT NOT NULL,
    updated_by  INTEGER NOT NULL REFERENCES users(id),
    updated_at  TEXT NOT NULL
) STRICT;

CREATE TABLE document_archive (
    document_id INTEGER PRIMARY KEY REFERENCES documents(id),
    meta        TEXT NOT NULL,
    updated_by  INTEGER NOT NULL REFERENCES users(id),
    updated_at  TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    username    TEXT NOT NULL UNIQUE COLLATE NOCASE,
    full_name   TEXT NOT NULL,
    roles       TEXT NOT NULL,           -- comma-separated: clerk,supervisor,admin
    pw_hash     TEXT NOT NULL,           -- argon2id PHC string
    disabled    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE record_types (
    key      TEXT PRIMARY KEY,
    name_vi  TEXT NOT NULL,
    name_en  TEXT NOT NULL
) STRICT;
INSERT INTO record_types(key, name_vi, name_en) VALUES ('generic', 'Tài liệu chung', 'Generic document');

CREATE TABLE batches (
    id          TEXT PRIMARY KEY,        -- UUIDv7
    name        TEXT NOT NULL,
    office      TEXT NOT NULL,
    record_type TEXT NOT NULL REFERENCES record_types(key),
    state       TEXT NOT NULL CHECK (state IN ('capturing','keying','review','returned','approved','signed','synced')),
    created_by  INTEGER NOT NULL REFERENCES users(id),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;
CREATE INDEX batches_state ON batches(state, created_at);

CREATE TABLE documents (
    id            INTEGER PRIMARY KEY,
    batch_id      TEXT NOT NULL REFERENCES batches(id),
    seq           INTEGER NOT NULL,      -- order within the batch, 1-based
    origin        TEXT NOT NULL,         -- file name or scanner job
    source_sha256 TEXT,                  -- hash of the imported file: the same file is not imported twice into a batch
    status        TEXT NOT NULL DEFAULT 'new',
    created_by    INTEGER NOT NULL REFERENCES users(id),
    created_at    TEXT NOT NULL,
    UNIQUE (batch_id, seq)
) STRICT;
CREATE UNIQUE INDEX documents_source ON documents(batch_id, source_sha256) WHERE source_sha256 IS NOT NULL;

CREATE TABLE pages (
    id             INTEGER PRIMARY KEY,
    document_id    INTEGER NOT NULL REFERENCES documents(id),
    seq            INTEGER NOT NULL,     -- order within the document, 1-based
    blob_sha256    TEXT NOT NULL,
    format         TEXT NOT NULL,        -- png | jpeg
    width          INTEGER NOT NULL,
    height         INTEGER NOT NULL,
    dpi            INTEGER NOT NULL DEFAULT 0,
    origin_file    TEXT NOT NULL DEFAULT '',
    origin_page    INTEGER NOT NULL DEFAULT 0,  -- 1-based page within the origin file
    origin_scanner TEXT NOT NULL DEFAULT '',
    origin_sheet   INTEGER NOT NULL DEFAULT 0,
    ocr_state      TEXT NOT NULL DEFAULT 'pending' CHECK (ocr_state IN ('pending','done','failed')),
    ocr_error      TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    UNIQUE (document_id, seq)
) STRICT;
CREATE INDEX pages_pending ON pages(ocr_state, id) WHERE ocr_state = 'pending';
CREATE INDEX pages_blob ON pages(blob_sha256);

CREATE TABLE ocr_results (
    page_id      INTEGER PRIMARY KEY REFERENCES pages(id),
    text         TEXT NOT NULL,
    words        TEXT NOT NULL,          -- JSON array of words with boxes and confidences
    mean_conf    REAL NOT NULL,
    orientation  INTEGER NOT NULL DEFAULT 0,
    engine       TEXT NOT NULL,
    model        TEXT NOT NULL,
    duration_ms  INTEGER NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;

CREATE TABLE field_values (
    id           INTEGER PRIMARY KEY,
    document_id  INTEGER NOT NULL REFERENCES documents(id),
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('ocr','keyed','corrected','double-keyed')),
    confidence   REAL NOT NULL DEFAULT 0,
    user_id      INTEGER REFERENCES users(id),
    created_at   TEXT NOT NULL,
    current      INTEGER NOT NULL DEFAULT 1   -- history: older values have current = 0
) STRICT;
CREATE UNIQUE INDEX field_values_current ON field_values(document_id, key) WHERE current = 1;

CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,            -- username, never a personal field value
    action     TEXT NOT NULL,
    object     TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '',
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
) STRICT;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;

-- Diacritic-insensitive full-text index. Bodies are folded by the application (NFD, marks
-- removed, đ -> d, lower case) before they are stored, so that "nguyen van duc" finds
-- "Nguyễn Văn Đức"; the original text stays in ocr_results and field_values.
CREATE VIRTUAL TABLE search_fts USING fts5(
    body,
    document_id UNINDEXED,
    page_id UNINDEXED,
    field UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);

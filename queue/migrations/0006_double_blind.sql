-- Double-blind keying (optional per batch): two different clerks key the same documents,
-- each into a pass of their own that the other cannot see; agreeing values become the
-- current field value (source double-keyed), disagreeing ones wait in key_conflicts for a
-- third person. A double-blind batch cannot go to review until every document is settled.
ALTER TABLE batches ADD COLUMN double_blind INTEGER NOT NULL DEFAULT 0;

CREATE TABLE key_passes (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    pass        INTEGER NOT NULL CHECK (pass IN (1, 2)),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    started_at  TEXT NOT NULL,
    done_at     TEXT NOT NULL DEFAULT '',   -- '' while the clerk is still keying
    UNIQUE (document_id, pass),
    UNIQUE (document_id, user_id)           -- one clerk keys a document at most once
) STRICT;

CREATE TABLE key_values (
    pass_id  INTEGER NOT NULL REFERENCES key_passes(id),
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    at       TEXT NOT NULL,
    PRIMARY KEY (pass_id, key)
) STRICT;

-- One row per field on which the two passes disagreed; resolved_by is the third person.
CREATE TABLE key_conflicts (
    document_id INTEGER NOT NULL REFERENCES documents(id),
    key         TEXT NOT NULL,
    resolved_by INTEGER REFERENCES users(id),
    resolved_at TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (document_id, key)
) STRICT;
CREATE INDEX key_conflicts_open ON key_conflicts(document_id) WHERE resolved_by IS NULL;

-- Queue scale (BenchmarkScale100k*): the batch list counts each batch's pages by OCR state;
-- with this covering index it reads no page rows (with 100,000 documents: 118 ms before, with
-- the one-pass count in batchSelect about 50 ms).
CREATE INDEX pages_document_ocr ON pages(document_id, ocr_state);

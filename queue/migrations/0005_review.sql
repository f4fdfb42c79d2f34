-- Review of a batch by a supervisor. A batch goes through review rounds: each submit opens a
-- new round; its per-document findings, the sample drawn and the decisions belong to that round.
-- Comments (the only place their text is kept; the audit log records only their length) stay
-- for every round, so clerks see why a batch came back.
CREATE TABLE batch_reviews (
    batch_id     TEXT PRIMARY KEY REFERENCES batches(id),
    round        INTEGER NOT NULL,          -- 1 at the first submit
    submitted_by INTEGER NOT NULL REFERENCES users(id),
    submitted_at TEXT NOT NULL,
    sample_pct   INTEGER NOT NULL DEFAULT -1, -- -1: no sample drawn this round
    sample_seed  INTEGER NOT NULL DEFAULT 0,
    approved_by  INTEGER REFERENCES users(id),
    approved_at  TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE review_documents (
    batch_id     TEXT NOT NULL REFERENCES batches(id),
    round        INTEGER NOT NULL,
    document_id  INTEGER NOT NULL,          -- no foreign key: a returned batch may merge or split documents
    warnings     INTEGER NOT NULL DEFAULT 0,  -- validation warnings at submit
    low_fields   INTEGER NOT NULL DEFAULT 0,  -- OCR field values under the confidence threshold
    low_pages    INTEGER NOT NULL DEFAULT 0,  -- pages whose mean OCR confidence is under the threshold
    sampled      TEXT NOT NULL DEFAULT '' CHECK (sampled IN ('', 'random', 'problem')),
    decision     TEXT NOT NULL DEFAULT '' CHECK (decision IN ('', 'accepted', 'returned')),
    decided_by   INTEGER REFERENCES users(id),
    decided_at   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (batch_id, round, document_id)
) STRICT;

CREATE TABLE review_comments (
    id           INTEGER PRIMARY KEY,
    batch_id     TEXT NOT NULL REFERENCES batches(id),
    round        INTEGER NOT NULL,
    document_id  INTEGER,                   -- NULL: about the whole batch
    author       INTEGER NOT NULL REFERENCES users(id),
    body         TEXT NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;
CREATE INDEX review_comments_batch ON review_comments(batch_id, id);

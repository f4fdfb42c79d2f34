-- The review sample of each round, drawn once and kept: one row per document and reason. The
-- documents a supervisor must see (returned in the previous round, corrected or accepted from
-- low-confidence OCR since then, with warnings or low confidence) are stored when the round
-- opens (submit); the random part is added once, when the supervisor draws it. Every review
-- call, on the command line or in the app, reads the same rows.
CREATE TABLE review_sample (
    batch_id     TEXT NOT NULL REFERENCES batches(id),
    round        INTEGER NOT NULL,
    document_id  INTEGER NOT NULL,          -- no foreign key, as review_documents
    reason       TEXT NOT NULL CHECK (reason IN ('random', 'returned', 'corrected', 'ocr-accepted-low', 'warnings', 'low-confidence')),
    PRIMARY KEY (batch_id, round, document_id, reason)
) STRICT;

-- Rounds in flight keep what they had: the drawn documents, and the problem documents, which
-- a supervisor must see from now on even when no sample was drawn.
INSERT INTO review_sample(batch_id, round, document_id, reason)
    SELECT batch_id, round, document_id, 'random' FROM review_documents WHERE sampled = 'random';
INSERT INTO review_sample(batch_id, round, document_id, reason)
    SELECT batch_id, round, document_id, 'warnings' FROM review_documents WHERE warnings > 0;
INSERT INTO review_sample(batch_id, round, document_id, reason)
    SELECT batch_id, round, document_id, 'low-confidence' FROM review_documents WHERE low_fields > 0 OR low_pages > 0;

-- Signing certificates bound to user accounts by an administrator: a supervisor signs only
-- with a key registered to them. The key is named by the SHA-256 of its SubjectPublicKeyInfo
-- (a renewed certificate for the same key stays bound); a key belongs to one account at a
-- time. Removed bindings stay, with removed_at set.
CREATE TABLE user_certs (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    spki_sha256  TEXT NOT NULL,
    cert_sha256  TEXT NOT NULL,             -- the registered certificate itself
    subject      TEXT NOT NULL,             -- its subject common name, for the lists
    not_after    TEXT NOT NULL,
    cert         BLOB NOT NULL,             -- DER
    added_by     INTEGER NOT NULL REFERENCES users(id),
    added_at     TEXT NOT NULL,
    removed_at   TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE UNIQUE INDEX user_certs_key ON user_certs(spki_sha256) WHERE removed_at = '';

-- A batch signed with a certificate not bound to its approver, allowed by an explicit
-- override: who, with which certificate, and why (the reason's text is kept here only; the
-- audit log has its length).
CREATE TABLE signer_overrides (
    id           INTEGER PRIMARY KEY,
    batch_id     TEXT NOT NULL REFERENCES batches(id),
    user_id      INTEGER NOT NULL REFERENCES users(id),
    cert_sha256  TEXT NOT NULL,
    subject      TEXT NOT NULL,
    reason       TEXT NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;
CREATE INDEX signer_overrides_batch ON signer_overrides(batch_id);

-- How far the field values went when a round opened (max field_values.id): what a round
-- counts as "since the previous round" starts above the previous round's mark. Rounds in
-- flight get the mark of their submission time.
ALTER TABLE batch_reviews ADD COLUMN field_mark INTEGER NOT NULL DEFAULT 0;
UPDATE batch_reviews SET field_mark = coalesce((SELECT max(f.id) FROM field_values f JOIN documents d ON d.id = f.document_id
    WHERE d.batch_id = batch_reviews.batch_id AND julianday(f.created_at) <= julianday(batch_reviews.submitted_at)), 0);

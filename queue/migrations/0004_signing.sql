-- What signing a batch produces, written in the one transaction that moves the batch
-- approved → signed: one signed PDF per document (a blob), the signed batch manifest (the bytes
-- that will be sent), and the outbox entry that the sync client works through.
CREATE TABLE signed_documents (
    document_id INTEGER PRIMARY KEY REFERENCES documents(id),
    batch_id    TEXT NOT NULL REFERENCES batches(id),
    pdf_sha256  TEXT NOT NULL,           -- blob holding the signed PDF
    pdf_size    INTEGER NOT NULL,
    signer      TEXT NOT NULL,           -- signing certificate's subject common name
    signed_by   INTEGER NOT NULL REFERENCES users(id),
    signed_at   TEXT NOT NULL
) STRICT;
CREATE INDEX signed_documents_batch ON signed_documents(batch_id);

CREATE TABLE batch_manifests (
    batch_id    TEXT PRIMARY KEY REFERENCES batches(id),
    manifest    BLOB NOT NULL,           -- signed manifest JSON (sync/wire.Manifest), byte for byte
    sha256      TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

-- One entry per signed batch; seq is this workstation's outbox sequence (increasing, never reused).
CREATE TABLE outbox (
    batch_id     TEXT PRIMARY KEY REFERENCES batches(id),
    seq          INTEGER NOT NULL UNIQUE,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','held','done')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',  -- code + bilingual message from the server, never personal data
    next_attempt TEXT NOT NULL DEFAULT '',
    receipt      BLOB,                      -- the server's signed receipt, byte for byte
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;

-- Workstation-wide settings (workstation_id, server address, ...).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

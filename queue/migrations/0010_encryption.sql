-- Encryption at rest (keys.go, docs/ENCRYPTION.md). One random data key per store, wrapped
-- (AES-256-GCM) once per user by a key derived from the user's password (argon2id, fresh salt,
-- never the login hash's) and once by the admin's recovery key. A slot is useless without its
-- password or recovery key; the data key itself is never stored.
CREATE TABLE key_slots (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('user', 'recovery')),
    user_id    INTEGER REFERENCES users(id),   -- kind 'user'; NULL for the recovery slot
    kdf        TEXT NOT NULL,                  -- "argon2id$m=..,t=..,p=..$<salt b64>" or "hkdf-sha256$<salt b64>"
    wrapped    BLOB NOT NULL,                  -- nonce (12) | AES-256-GCM(data key), AAD "sohoa-slot-v1/<kind>/<user_id>"
    created_at TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX key_slots_user ON key_slots(user_id) WHERE kind = 'user';
CREATE UNIQUE INDEX key_slots_recovery ON key_slots(kind) WHERE kind = 'recovery';

-- The store's encryption state: no row = plaintext (a store from before this version, or one
-- not yet switched on); 'converting' = the key exists and the conversion runs (old plaintext
-- blobs and settings still read); 'on' = converted whole.
CREATE TABLE store_encryption (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    state       TEXT NOT NULL CHECK (state IN ('converting', 'on')),
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL DEFAULT '',
    db_sealed   INTEGER NOT NULL DEFAULT 0   -- 1 once personal columns and the search index are sealed (cells.go)
) STRICT;

-- Tamper evidence (anchor.go, users.go, lockout.go).
-- mac: HMAC-SHA256 under the workstation's audit key (audit-key.pem beside the database,
-- never inside it). On audit rows it seals the row's hash, so that rows added with SQL after
-- the anchored head are told from SoHoa's own; on users it seals user name, roles, password
-- hash and the disabled flag, so that a role or password changed with SQL is refused at
-- sign-in. '' on rows written before this migration: they are sealed once, when the key is
-- made (users) or only chained (audit rows before the anchor was created).
ALTER TABLE audit ADD COLUMN mac TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN mac TEXT NOT NULL DEFAULT '';

-- Failed sign-ins, durable across restarts. key is "u:<user id>" for an account and
-- "n:<bucket>" for user names that do not exist: an unknown name is hashed with the audit
-- key into one of 4096 buckets, so the table stays bounded whatever names are tried and no
-- typed name (which may be a mistyped password) is stored.
CREATE TABLE login_throttle (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL DEFAULT 0,  -- consecutive failed attempts (an attempt counts before its password is checked)
    locked_until TEXT NOT NULL DEFAULT '',    -- RFC 3339 UTC; '' = not locked
    last_at      TEXT NOT NULL
) STRICT;

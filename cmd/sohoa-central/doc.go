// Command sohoa-central is the SoHoa central server: it receives signed batches from enrolled
// workstations (sync/PROTOCOL.md). Usage:
//
//	sohoa-central [serve] --data DIR --trust CERTS.pem|DIR [--db postgres://...] [--listen 127.0.0.1:8443] [--tls-cert F --tls-key F]
//
// serve refuses to start without --trust (the signers' root certificates), except with
// --insecure-hash-only, a development option that checks hashes and no signature at all.
//
//	sohoa-central init --data DIR [--db ...] [--trust-from ROOT.pem|DIR]... [--hosts H,...]
//	sohoa-central --version                                (or: sohoa-central version)
//	sohoa-central help [COMMAND]      (also no arguments, -h, COMMAND --help)
//	sohoa-central status --data DIR [--db ...]   (the TLS certificate's SHA-256 fingerprint workstations compare when they enroll)
//	sohoa-central enroll-code --data DIR [--db ...] --office CODE [--ttl 24h]
//	sohoa-central revoke --data DIR [--db ...] --workstation ID
//	sohoa-central workstations --data DIR [--db ...]
//	sohoa-central reader-token --data DIR [--db ...] --name NAME [--office CODE]   (prints a read-only token once)
//	sohoa-central readers --data DIR [--db ...]
//	sohoa-central revoke-reader --data DIR [--db ...] --reader ID
//	sohoa-central backup --data DIR DEST             (SQLite default, while the server runs; PostgreSQL: pg_dump, sync/README.md)
//	sohoa-central restore [--check] --data DIR SRC   (server stopped; checked completely before anything is replaced)
//
// init prepares a data folder before the first serve: database, receipt key, data key, self-signed TLS certificate and the
// signers' trust store DIR/trust, filled from --trust-from (CA certificates only); it prints
// the TLS fingerprint that workstations compare when they enroll. Run again, it keeps what
// exists and adds the roots given. --version prints the version, the commit and the libraries
// linked in (SQLite, the PostgreSQL client; no OCR, no scanner library).
//
// serve --client-ca CA.pem turns on mutual TLS: every connection must present a client
// certificate signed by that CA, in addition to the bearer token.
//
// serve --metrics-token-file F (or $SOHOA_METRICS_TOKEN) makes GET /metrics answer with that
// bearer token; without one /metrics answers 404. The limits against slow and greedy clients
// (--max-conns-per-addr, --conn-limit-exempt, --min-rate, --transfer-grace, --stall-timeout,
// --read-header-timeout, --idle-timeout) are explained in sync/PROTOCOL.md.
//
// serve --data-key F (or $SOHOA_DATA_KEY) names the file of the key that encrypts every field
// value kept in the database (sync/PROTOCOL.md "Field values"); by default DIR/data-key.pem,
// made (mode 0600) on first start. Without it the stored values cannot be read: back it up,
// apart from the database. The same key encrypts the blobs at rest (sync/PROTOCOL.md "Blobs at
// rest"): every new data folder or bucket is sealed; serve --plain-blobs makes a new one plain.
//
// serve --blobs 's3://BUCKET[/PREFIX]?endpoint=HOST:PORT[&sse=s3][&insecure=1]' keeps the blobs
// and the partial uploads in an S3-compatible bucket, with credentials from credentials=FILE,
// $SOHOA_S3_CREDENTIALS or $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY (sync/PROTOCOL.md "S3
// blob store"). Several servers on one PostgreSQL and one bucket behind a load balancer share
// uploads, commits and rate limits (sync/PROTOCOL.md "Several servers"); --enroll-rate sets the
// enrollment attempts per second per client address.
package main

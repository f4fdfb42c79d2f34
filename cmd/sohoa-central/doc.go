// Command sohoa-central is the SoHoa central server: it receives signed batches from enrolled
// workstations (sync/PROTOCOL.md). Usage:
//
//	sohoa-central [serve] --data DIR --trust CERTS.pem|DIR [--db postgres://...] [--listen 127.0.0.1:8443] [--tls-cert F --tls-key F]
//
// serve refuses to start without --trust (the signers' root certificates), except with
// --insecure-hash-only, a development option that checks hashes and no signature at all.
//
//	sohoa-central help [COMMAND]      (also no arguments, -h, COMMAND --help)
//	sohoa-central status --data DIR [--db ...]   (the TLS certificate's SHA-256 fingerprint workstations compare when they enroll)
//	sohoa-central enroll-code --data DIR [--db ...] --office CODE [--ttl 24h]
//	sohoa-central revoke --data DIR [--db ...] --workstation ID
//	sohoa-central workstations --data DIR [--db ...]
//	sohoa-central reader-token --data DIR [--db ...] --name NAME [--office CODE]   (prints a read-only token once)
//	sohoa-central readers --data DIR [--db ...]
//	sohoa-central revoke-reader --data DIR [--db ...] --reader ID
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
// apart from the database.
package main

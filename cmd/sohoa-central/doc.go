// Command sohoa-central is the SoHoa central server: it receives signed batches from enrolled
// workstations (sync/PROTOCOL.md). Usage:
//
//	sohoa-central [serve] --data DIR [--db postgres://...] [--listen 127.0.0.1:8443] [--tls-cert F --tls-key F]
//	sohoa-central enroll-code --data DIR [--db ...] --office CODE [--ttl 24h]
//	sohoa-central revoke --data DIR [--db ...] --workstation ID
//	sohoa-central workstations --data DIR [--db ...]
package main

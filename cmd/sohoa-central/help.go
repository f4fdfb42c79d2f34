package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/wire"
)

// cmdHelp is one command's help: its usage line, what it does and an example.
type cmdHelp struct {
	usage, short, long, example string
}

// commandHelp is every command of sohoa-central (the map's keys are the commands run knows).
var commandHelp = map[string]cmdHelp{
	"serve": {
		usage: "sohoa-central [serve] --data DIR --trust CERTS.pem|DIR [--listen ADDR] [--db postgres://…] [--tls-cert F --tls-key F] [--hosts NAMES]",
		short: "receive signed batches from the enrolled workstations (the default command)",
		long: `Serves the sync protocol (sync/PROTOCOL.md) over TLS. Without --tls-cert it makes a
self-signed certificate on first start (add the names workstations use with --hosts);
workstations enroll with its SHA-256 fingerprint, which sohoa-central status prints.
--trust names the signers' root certificates: a batch whose signatures do not chain to
one is refused. Stops at SIGINT/SIGTERM after the requests in flight.`,
		example: `sohoa-central serve --data /var/lib/sohoa-central --trust /etc/sohoa-central/signers-ca.pem --listen 0.0.0.0:8443 --hosts central.example.vn`,
	},
	"init": {
		usage:   "sohoa-central init --data DIR [--db postgres://…] [--trust-from ROOT.pem|DIR]... [--hosts NAMES] [--data-key F]",
		short:   "prepare a data folder: database, keys, TLS certificate, the signers' trust store",
		long:    "Creates the data folder (mode 0700), the database, the receipt and data keys, the\nself-signed TLS certificate and the signers' trust store DATA/trust from --trust-from (CA\ncertificates only). Running it again keeps everything. Prints the TLS fingerprint and the\nserve command to use.",
		example: "sohoa-central init --data /var/lib/sohoa-central --trust-from /etc/sohoa-central/signers-ca.pem --hosts central.example.vn",
	},
	"version": {
		usage:   "sohoa-central version   (or --version)",
		short:   "print the version, the commit and the libraries this server runs with",
		long:    "Version, commit, Go and platform, and the SQLite/PostgreSQL driver versions in use.",
		example: "sohoa-central --version",
	},
	"backup": {
		usage:   "sohoa-central backup --data DIR [--data-key F] [--blobs s3://…] DEST",
		short:   "back up the SQLite default while the server runs (database, blobs, key files)",
		long:    "Copies central.db with SQLite's online backup API, every blob a committed batch names\n(encrypted blobs stay encrypted) and the receipt and TLS keys into the new folder DEST, with\na manifest of hashes; fsynced, renamed into place last. The data key is not copied: back it\nup apart. PostgreSQL: use pg_dump (sync/README.md).",
		example: "sohoa-central backup --data /var/lib/sohoa-central /backup/central-2026-12-04",
	},
	"restore": {
		usage:   "sohoa-central restore [--check] --data DIR [--data-key F] SRC",
		short:   "check a backup and, with the server stopped, put it in place of the data folder",
		long:    "Copies the backup beside the data folder and checks it there (manifest hashes, every blob,\nPRAGMA integrity_check, every committed batch's blobs present) before anything is replaced;\nthe old folder is kept as DIR.before-restore-TIME. --check only checks. An encrypted backup\nneeds the data key (the data folder's, or --data-key).",
		example: "sohoa-central restore --check --data /var/lib/sohoa-central /backup/central-2026-12-04",
	},
	"status": {
		usage:   "sohoa-central status --data DIR [--db postgres://…] [--tls-cert F]",
		short:   "what this server is: TLS certificate fingerprint, receipt key, workstations, readers",
		long:    "Prints the SHA-256 fingerprint of the TLS certificate (read it to the person who enrolls a\nworkstation: they compare it with the one the workstation shows), its names and expiry, the\nreceipt key's id and how many workstations and readers are enrolled. Changes nothing.",
		example: "sohoa-central status --data /var/lib/sohoa-central",
	},
	"enroll-code": {
		usage:   "sohoa-central enroll-code --data DIR [--db …] --office CODE [--ttl 24h]",
		short:   "make a one-time enrollment code for a workstation of an office",
		long:    "Prints a one-time code (valid for --ttl) that enrolls one workstation for the office. Give\nit to the workstation's administrator with the server's address and fingerprint (status).",
		example: "sohoa-central enroll-code --data /var/lib/sohoa-central --office HN-01",
	},
	"workstations": {
		usage:   "sohoa-central workstations --data DIR [--db …]",
		short:   "list the enrolled workstations",
		long:    "One line per workstation: id, office, last acknowledged sequence, state, name.",
		example: "sohoa-central workstations --data /var/lib/sohoa-central",
	},
	"revoke": {
		usage:   "sohoa-central revoke --data DIR [--db …] --workstation ID",
		short:   "revoke a workstation (lost, stolen, retired): its token stops working at once",
		long:    "Revokes the workstation's credential; what it sent before is kept.",
		example: "sohoa-central revoke --data /var/lib/sohoa-central --workstation ws-3f2a",
	},
	"reader-token": {
		usage:   "sohoa-central reader-token --data DIR [--db …] --name NAME [--office CODE]",
		short:   "make a read-only token for a data-sharing platform (printed once)",
		long:    "Prints a bearer token for the read API (only its SHA-256 is kept; the reader id goes to\nstandard error). With --office the reader sees that office only.",
		example: `sohoa-central reader-token --data /var/lib/sohoa-central --name "Cổng dữ liệu tỉnh" --office HN-01`,
	},
	"readers": {
		usage:   "sohoa-central readers --data DIR [--db …]",
		short:   "list the read-API tokens",
		long:    "One line per reader: id, created, state, office (* every office), name.",
		example: "sohoa-central readers --data /var/lib/sohoa-central",
	},
	"revoke-reader": {
		usage:   "sohoa-central revoke-reader --data DIR [--db …] --reader ID",
		short:   "revoke a read-API token",
		long:    "The token stops working at once.",
		example: "sohoa-central revoke-reader --data /var/lib/sohoa-central --reader rd-81c0",
	},
}

// isHelp reports whether the command line asks for help: help [CMD], -h, --help.
func isHelp(cmd string, args []string) bool {
	if cmd == "help" {
		return true
	}
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			return true
		}
	}
	return false
}

// printHelp writes the overview (help) or one command's help (help CMD, CMD --help).
func printHelp(w io.Writer, cmd string, args []string) error {
	if cmd == "help" {
		cmd = ""
		if len(args) > 0 {
			cmd = args[0]
		}
	}
	if cmd == "" {
		return overview(w)
	}
	h, ok := commandHelp[cmd]
	if !ok {
		if err := overview(w); err != nil {
			return err
		}
		return fmt.Errorf("unknown command %q", cmd)
	}
	_, err := fmt.Fprintf(w, "%s\n\nUsage:\n  %s\n\n%s\n\nExample:\n  %s\n\n%s\n", h.short, h.usage, h.long, h.example, flagsText)
	return err
}

func overview(w io.Writer) error {
	names := make([]string, 0, len(commandHelp))
	for n := range commandHelp {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(`sohoa-central — máy chủ trung tâm SoHoa / the SoHoa central server

It receives the signed batches of the enrolled workstations, checks every signature against
the signers' root certificates, keeps them (SQLite in the data folder, or PostgreSQL with --db)
and answers each with a signed receipt. Protocol: sync/PROTOCOL.md. Admin guide: docs/admin.md.

Usage:
  sohoa-central COMMAND --data DIR [flags]
  sohoa-central help COMMAND      (or COMMAND --help)

Commands:
`)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, n := range names {
		fmt.Fprintf(tw, "  %s\t%s\n", n, commandHelp[n].short)
	}
	tw.Flush()
	b.WriteString(`
First start:
  sohoa-central serve --data /var/lib/sohoa-central --trust signers-ca.pem --listen 0.0.0.0:8443 --hosts central.example.vn
  sohoa-central status --data /var/lib/sohoa-central          # the fingerprint workstations compare
  sohoa-central enroll-code --data /var/lib/sohoa-central --office HN-01

`)
	b.WriteString(flagsText)
	_, err := io.WriteString(w, b.String())
	return err
}

// flagsText lists the flags (the same flag set for every command; each says which commands use it).
const flagsText = `Flags:
  --data DIR                  data folder: database, blobs, keys (required)
  --db URL                    postgres://user@host/db (default: SQLite in the data folder)
  --listen ADDR               address to listen on (serve; default 127.0.0.1:8443)
  --tls-cert F, --tls-key F   TLS certificate and key (default: self-signed, made on first start)
  --hosts LIST                extra host names/IPs for the self-signed certificate, comma separated
  --trust CERTS               signers' root certificates: a PEM file or a folder of .pem/.crt/.cer (serve)
  --insecure-hash-only        DEVELOPMENT ONLY: check hashes but no signature (serve)
  --client-ca F               mutual TLS: CA(s) whose client certificates are required (serve)
  --data-key F                key that encrypts field values (or $SOHOA_DATA_KEY; default DIR/data-key.pem)
  --metrics-token-file F      bearer token GET /metrics requires (or $SOHOA_METRICS_TOKEN)
  --office CODE               office (enroll-code; reader-token: the reader reads these offices only, comma separated)
  --record-type LIST          reader-token: the reader reads these record types only, comma separated
  --ttl D                     validity of an enrollment code (default 24h)
  --workstation ID            workstation (revoke)
  --name NAME                 name of the data-sharing platform (reader-token)
  --reader ID                 reader (revoke-reader)
  --blobs URL                 blob store s3://BUCKET?endpoint=HOST:PORT[&sse=s3] (default: DIR/blobs; serve, backup)
  --plain-blobs               a NEW blob store keeps blobs unencrypted (default: encrypted under the data key)
  --enroll-rate N             enrollment attempts per second per client address (behind a balancer: raise it)
  --check                     only check the backup, restore nothing (restore)
  --max-conns-per-addr N      connections at a time from one client address; -1: no cap
  --conn-limit-exempt LIST    addresses or CIDR prefixes not capped (a load balancer in front)
  --min-rate B                slowest body rate accepted, bytes per second
  --transfer-grace D          time before --min-rate applies
  --stall-timeout D           a body or answer that moves no byte for this long is cut
  --read-header-timeout D     TLS handshake plus request line and headers
  --idle-timeout D            a kept-alive connection without a request is closed after this
  (limits against slow clients: sync/PROTOCOL.md)
`

// status prints what the server is without changing anything: the TLS certificate's SHA-256
// (what a workstation pins at enrollment), the receipt key's id and the enrolled parties.
func status(ctx context.Context, w io.Writer, dir, db, certFile string) error {
	if certFile == "" {
		certFile = filepath.Join(dir, server.TLSCertFile)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("no data folder %s: serve makes it on first start", dir)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	defer tw.Flush()
	fmt.Fprintf(tw, "data folder\t%s\n", dir)
	raw, err := os.ReadFile(certFile)
	switch {
	case errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(tw, "TLS certificate\tnot made yet: serve makes it on first start (add --hosts NAMES)\n")
	case err != nil:
		return err
	default:
		blk, _ := pem.Decode(raw)
		if blk == nil {
			return fmt.Errorf("%s: no PEM certificate", certFile)
		}
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return fmt.Errorf("%s: %w", certFile, err)
		}
		sum := sha256.Sum256(cert.Raw)
		fmt.Fprintf(tw, "TLS certificate\t%s\n", certFile)
		fmt.Fprintf(tw, "TLS SHA-256 fingerprint\t%s\n", hex.EncodeToString(sum[:]))
		names := append([]string(nil), cert.DNSNames...)
		for _, ip := range cert.IPAddresses {
			names = append(names, ip.String())
		}
		fmt.Fprintf(tw, "TLS names\t%s\n", strings.Join(names, ", "))
		fmt.Fprintf(tw, "TLS valid until\t%s\n", cert.NotAfter.UTC().Format("2006-01-02"))
		selfSigned := bytes.Equal(cert.RawIssuer, cert.RawSubject) &&
			cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature) == nil
		fmt.Fprintf(tw, "self-signed\t%t\n", selfSigned)
	}
	if _, err := os.Stat(filepath.Join(dir, server.ReceiptKeyFile)); err == nil {
		rk, err := server.LoadOrCreateReceiptKey(dir)
		if err != nil {
			return err
		}
		pub := rk.Public().(ed25519.PublicKey)
		fmt.Fprintf(tw, "receipt key\t%s (id %s)\n", base64.StdEncoding.EncodeToString(pub), wire.KeyID(pub))
	}
	st, _, err := server.OpenStore(ctx, dir, db)
	if err != nil {
		return err
	}
	defer st.Close()
	wss, err := st.Workstations(ctx)
	if err != nil {
		return err
	}
	active := 0
	for _, ws := range wss {
		if ws.RevokedAt == nil {
			active++
		}
	}
	fmt.Fprintf(tw, "workstations\t%d enrolled, %d revoked\n", active, len(wss)-active)
	rds, err := st.Readers(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(tw, "readers\t%d\n", len(rds))
	return nil
}

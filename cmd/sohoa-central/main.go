package main

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/wire"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sohoa-central:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		return overview(stdout)
	}
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	if isHelp(cmd, args) {
		return printHelp(stdout, cmd, args)
	}
	if cmd == "version" || (cmd == "serve" && len(args) == 1 && (args[0] == "--version" || args[0] == "-version")) {
		return buildInfo().Write(stdout)
	}
	if cmd == "init" {
		return runInit(ctx, args, stdout)
	}
	fs := flag.NewFlagSet("sohoa-central "+cmd, flag.ContinueOnError)
	fs.SetOutput(os.Stderr) // a mistake in a flag: the flag package's message, then where the help is
	fs.Usage = func() { fmt.Fprintf(os.Stderr, "sohoa-central help %s: the usage, flags and an example\n", cmd) }
	data := fs.String("data", "", "data folder (database, blobs, keys)")
	db := fs.String("db", "", "postgres://user@host/db (default: SQLite in the data folder)")
	listen := fs.String("listen", "127.0.0.1:8443", "address to listen on (serve)")
	cert := fs.String("tls-cert", "", "TLS certificate (default: self-signed, made on first start)")
	key := fs.String("tls-key", "", "TLS private key")
	hosts := fs.String("hosts", "", "extra host names/IPs for the self-signed certificate, comma separated")
	office := fs.String("office", "", "office code (enroll-code; reader-token: the reader reads these offices only, comma separated)")
	recordType := fs.String("record-type", "", "reader-token: the reader reads these record types only, comma separated")
	ttl := fs.Duration("ttl", server.EnrollCodeTTL, "validity of the enrollment code")
	wsID := fs.String("workstation", "", "workstation id (revoke)")
	trust := fs.String("trust", "", "trusted root certificates of the signers: a PEM file or a folder of .pem/.crt/.cer (serve)")
	hashOnly := fs.Bool("insecure-hash-only", false, "DEVELOPMENT ONLY: check hashes but no signature at all (serve)")
	clientCA := fs.String("client-ca", "", "mutual TLS: PEM file of the CA(s) whose client certificates are required on every connection (serve)")
	name := fs.String("name", "", "name of the data-sharing platform (reader-token)")
	readerID := fs.String("reader", "", "reader id (revoke-reader)")
	metricsFile := fs.String("metrics-token-file", "", "file holding the bearer token GET /metrics requires (or set $"+MetricsTokenEnv+"); without one /metrics answers 404 (serve)")
	maxConns := fs.Int("max-conns-per-addr", server.DefaultMaxConnsPerAddr, "connections at a time from one client address (IPv4, or IPv6 /64); -1: no cap (serve)")
	exempt := fs.String("conn-limit-exempt", "", "comma-separated addresses or CIDR prefixes not capped: a load balancer or reverse proxy in front (serve)")
	minRate := fs.Int64("min-rate", server.DefaultMinTransferRate, "bytes per second every request body and answer must average after --transfer-grace; -1: off (serve)")
	grace := fs.Duration("transfer-grace", server.DefaultTransferGrace, "time before --min-rate applies to a body or an answer (serve)")
	stall := fs.Duration("stall-timeout", server.DefaultStallTimeout, "a body or an answer that moves no byte for this long is cut (serve)")
	headerTimeout := fs.Duration("read-header-timeout", server.DefaultReadHeaderTimeout, "TLS handshake plus request line and headers (serve)")
	dataKey := fs.String("data-key", "", "file of the key that encrypts the field values in the database (or set $"+DataKeyEnv+"; default DATA/"+server.DataKeyFile+", made on first start); back it up apart from the database (serve)")
	blobsURL := fs.String("blobs", "", "blob store: s3://BUCKET[/PREFIX]?endpoint=HOST:PORT[&region=R][&sse=s3|kms:ID][&insecure=1][&credentials=FILE] (credentials from the file, $"+store.S3CredentialsEnv+" or $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY); default: DATA/blobs (serve)")
	plainBlobs := fs.Bool("plain-blobs", false, "a NEW blob store keeps blobs unencrypted (default: encrypted under the data key; an existing store keeps its format) (serve)")
	enrollRate := fs.Float64("enroll-rate", server.DefaultEnrollRate, "enrollment attempts per second per client address, burst 5 (serve)")
	idleTimeout := fs.Duration("idle-timeout", server.DefaultIdleTimeout, "a kept-alive connection without a request is closed after this (serve)")
	check := fs.Bool("check", false, "only check the backup, restore nothing (restore)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if _, known := commandHelp[cmd]; !known {
		return fmt.Errorf("unknown command %q: sohoa-central help lists the commands", cmd)
	}
	if *data == "" {
		return fmt.Errorf("--data DIR is required (the server's data folder, e.g. /var/lib/sohoa-central): sohoa-central help %s", cmd)
	}
	if cmd == "status" {
		return status(ctx, stdout, *data, *db, *cert)
	}
	var metricsToken string
	var exemptPrefixes []netip.Prefix
	var fieldKey *server.FieldKey
	if cmd == "serve" { // before opening anything: a bad setting fails at once
		var err error
		if metricsToken, err = readMetricsToken(*metricsFile); err != nil {
			return err
		}
		if fieldKey, err = loadDataKey(*dataKey, *data); err != nil {
			return err
		}
		if exemptPrefixes, err = parsePrefixes(*exempt); err != nil {
			return err
		}
	}
	if cmd == "restore" { // the server stopped; nothing is opened in the data folder
		var keys store.KeyProvider
		if k, err := existingDataKey(*dataKey, *data); err != nil {
			return err
		} else if k != nil {
			keys = k.BlobKeys()
		}
		return restoreCentral(ctx, fs.Args(), *data, keys, *check, stdout)
	}
	// Every other command holds the data folder's shared lock while it runs: restore waits
	// for none of them and refuses while one runs.
	lock, err := server.LockDataDir(*data, false)
	if err != nil {
		return err
	}
	defer lock.Close()
	st, _, err := server.OpenStore(ctx, *data, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	switch cmd {
	case "backup":
		if fs.NArg() != 1 {
			return errors.New("usage: sohoa-central backup --data DIR DEST")
		}
		k, err := loadDataKey(*dataKey, *data) // made here if the server never ran, as serve would
		if err != nil {
			return err
		}
		keys := k.BlobKeys()
		blobs, _, err := server.OpenBlobs(ctx, *data, server.BlobOptions{URL: *blobsURL, Keys: keys})
		if err != nil {
			return err
		}
		if _, sealed := blobs.(*store.EncryptedBlobs); !sealed {
			keys = nil // a plain store's backup stays plain
		}
		m, err := server.Backup(ctx, st, blobs, keys, *data, fs.Arg(0))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "backed up into %s: database %s, %d blobs, %d key files; back the data key (%s) up apart\n",
			fs.Arg(0), m.Database.SHA256, len(m.Blobs), len(m.Files), server.DataKeyFile)
		return nil
	case "enroll-code":
		code, err := server.NewEnrollCode(ctx, st, *office, *ttl, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, code)
		return nil
	case "revoke":
		return st.Revoke(ctx, *wsID, time.Now())
	case "workstations":
		list, err := st.Workstations(ctx)
		if err != nil {
			return err
		}
		for _, w := range list {
			state := "active"
			if w.RevokedAt != nil {
				state = "revoked " + w.RevokedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "%s\t%s\tseq=%d\t%s\t%s\n", w.ID, w.Office, w.AckedSeq, state, w.Name)
		}
		return nil
	case "reader-token":
		id, token, err := server.NewScopedReaderToken(ctx, st, *name, server.SplitCodes(*office), server.SplitCodes(*recordType), time.Now())
		if err != nil {
			return err
		}
		// The token is shown this once (only its SHA-256 is stored); the id goes to stderr.
		fmt.Fprintln(os.Stderr, "reader", id)
		fmt.Fprintln(stdout, token)
		return nil
	case "readers":
		list, err := st.Readers(ctx)
		if err != nil {
			return err
		}
		for _, r := range list {
			state := "active"
			if r.RevokedAt != nil {
				state = "revoked " + r.RevokedAt.Format(time.RFC3339)
			}
			scope := "*" // every office
			if len(r.Offices) > 0 {
				scope = strings.Join(r.Offices, ",")
			}
			if len(r.RecordTypes) > 0 {
				scope += " types=" + strings.Join(r.RecordTypes, ",")
			}
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.CreatedAt.Format(time.RFC3339), state, scope, r.Name)
		}
		return nil
	case "revoke-reader":
		return st.RevokeReader(ctx, *readerID, time.Now())
	case "serve":
	default:
		return fmt.Errorf("unknown command %q (serve, enroll-code, revoke, workstations, reader-token, readers, revoke-reader, backup, restore)", cmd)
	}
	blobs, staging, err := server.OpenBlobs(ctx, *data, server.BlobOptions{URL: *blobsURL, Keys: fieldKey.BlobKeys(), Plain: *plainBlobs})
	if err != nil {
		return err
	}
	rk, err := server.LoadOrCreateReceiptKey(*data)
	if err != nil {
		return err
	}
	var extra []string
	if *hosts != "" {
		extra = strings.Split(*hosts, ",")
	}
	tc, fp, err := server.LoadOrCreateTLS(*data, *cert, *key, extra)
	if err != nil {
		return err
	}
	var verifier server.Verifier
	switch {
	case *trust != "" && *hashOnly:
		return errors.New("--trust and --insecure-hash-only exclude each other")
	case *trust != "":
		roots, n, err := server.LoadTrust(*trust)
		if err != nil {
			return err
		}
		verifier = server.SignatureVerifier{Roots: roots}
		slog.Info("signature verification on", "trusted_roots", n)
	case *hashOnly:
		verifier = server.HashOnlyVerifier{}
		slog.Warn("INSECURE: --insecure-hash-only: no signature is checked; for development only")
	default:
		return errors.New("serve needs --trust CERTS.pem|DIR (the signers' root certificates); --insecure-hash-only is for development only")
	}
	var clientCAs *x509.CertPool
	if *clientCA != "" {
		pool, n, err := server.LoadClientCAs(*clientCA)
		if err != nil {
			return err
		}
		clientCAs = pool
		slog.Info("mutual TLS on: a client certificate is required", "client_cas", n)
	}
	srv, err := server.New(server.Config{DataDir: *data, Store: st, Blobs: blobs, Staging: staging, Key: rk, FieldKey: fieldKey, Verifier: verifier, ClientCAs: clientCAs,
		MetricsToken: metricsToken, MaxConnsPerAddr: *maxConns, ConnLimitExempt: exemptPrefixes,
		MinTransferRate: *minRate, TransferGrace: *grace, StallTimeout: *stall, EnrollRate: *enrollRate,
		ReadHeaderTimeout: *headerTimeout, IdleTimeout: *idleTimeout,
		// On PostgreSQL several servers may share the database: one rate limit for them all.
		SharedRateLimits: strings.HasPrefix(*db, "postgres://") || strings.HasPrefix(*db, "postgresql://")})
	if err != nil {
		return err
	}
	defer srv.Close() // stops the background date indexing before the store closes
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	slog.Info("sohoa-central listening", "addr", l.Addr().String(), "tls_sha256", fp,
		"receipt_key", base64.StdEncoding.EncodeToString(srv.PublicKey()), "key_id", wire.KeyID(srv.PublicKey()))
	return srv.Serve(ctx, l, &tc)
}

// restoreCentral is `sohoa-central restore [--check] --data DIR SRC`.
func restoreCentral(ctx context.Context, args []string, data string, keys store.KeyProvider, check bool, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: sohoa-central restore [--check] --data DIR SRC")
	}
	if check {
		m, err := server.CheckCentralBackup(ctx, args[0], keys)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "backup %s (%s) is usable: database intact, %d blobs, every committed batch's blobs present\n", args[0], m.CreatedAt, len(m.Blobs))
		return nil
	}
	m, previous, err := server.RestoreCentral(ctx, args[0], data, keys)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s from %s (%s), %d blobs\n", data, args[0], m.CreatedAt, len(m.Blobs))
	if previous != "" {
		fmt.Fprintf(stdout, "the data folder from before the restore is kept in %s: delete it when no longer needed\n", previous)
	}
	return nil
}

// DataKeyEnv names the environment variable that may give the data key file's path.
const DataKeyEnv = "SOHOA_DATA_KEY"

// loadDataKey reads (creating it on first start) the data key from --data-key, else
// $SOHOA_DATA_KEY, else the data folder.
func loadDataKey(flagPath, dataDir string) (*server.FieldKey, error) {
	path := flagPath
	if env := strings.TrimSpace(os.Getenv(DataKeyEnv)); env != "" {
		if path != "" && path != env {
			return nil, fmt.Errorf("--data-key and $%s name different files", DataKeyEnv)
		}
		path = env
	}
	if path == "" {
		path = filepath.Join(dataDir, server.DataKeyFile)
	}
	k, err := server.LoadOrCreateDataKey(path)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		slog.Warn("the data key file can be read by other users: chmod 600 it", "file", path)
	}
	return k, nil
}

// existingDataKey reads the data key as loadDataKey does, but never makes one: nil when the
// data folder has none (backup and restore must not invent a key the blobs were not sealed
// with).
func existingDataKey(flagPath, dataDir string) (*server.FieldKey, error) {
	path := flagPath
	if env := strings.TrimSpace(os.Getenv(DataKeyEnv)); env != "" && path == "" {
		path = env
	}
	if path == "" {
		path = filepath.Join(dataDir, server.DataKeyFile)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return loadDataKey(flagPath, dataDir)
}

// MetricsTokenEnv names the environment variable that may hold the metrics token.
const MetricsTokenEnv = "SOHOA_METRICS_TOKEN"

// readMetricsToken reads the metrics token from --metrics-token-file or $SOHOA_METRICS_TOKEN
// (not from a flag's value: command lines are visible to every local user). "" means none.
func readMetricsToken(file string) (string, error) {
	env := os.Getenv(MetricsTokenEnv)
	if file == "" {
		env = strings.TrimSpace(env)
		if env == "" {
			return "", nil
		}
		return env, checkMetricsToken(env)
	}
	if env != "" {
		return "", fmt.Errorf("--metrics-token-file and $%s exclude each other", MetricsTokenEnv)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("metrics token: %w", err)
	}
	if st, err := os.Stat(file); err == nil && st.Mode().Perm()&0o077 != 0 {
		slog.Warn("the metrics token file can be read by other users: chmod 600 it", "file", file)
	}
	tok := strings.TrimSpace(string(raw))
	if tok == "" {
		return "", fmt.Errorf("metrics token file %s is empty", file)
	}
	return tok, checkMetricsToken(tok)
}

// parsePrefixes reads "10.0.0.5,192.168.0.0/24,::1": addresses and CIDR prefixes.
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("--conn-limit-exempt: %q is neither an address nor a CIDR prefix", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func checkMetricsToken(tok string) error {
	if len(tok) < server.MinMetricsToken {
		return fmt.Errorf("the metrics token must have at least %d characters (make one with: openssl rand -hex 32)", server.MinMetricsToken)
	}
	return nil
}

package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sohoa/sohoa/sync/server"
)

// TrustDir is the signers' trust store that init makes in the data folder: the root
// certificates serve --trust DATA/trust accepts signatures under (one .pem file each).
const TrustDir = "trust"

// multiFlag is a flag that may be given more than once.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// runInit is `sohoa-central init`: it prepares a data folder for serve, once, before the
// service first starts: the folder (mode 0700), the database and its migrations, the receipt
// key, the data key, the self-signed TLS certificate (unless --tls-cert is used later) and the
// signers' trust store DATA/trust, filled from --trust-from. It is safe to run again: what
// exists is kept, and certificates given again are added. It prints the TLS fingerprint the
// workstations compare at enrollment and the serve command line that uses the trust store.
//
// The central server has no accounts of its own: its administrator is whoever may run
// sohoa-central on the data folder (the service user, or root through it), so there is no
// admin account to make here; init says who that is.
func runInit(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("sohoa-central init", flag.ContinueOnError)
	data := fs.String("data", "", "data folder to prepare (database, blobs, keys, trust store)")
	db := fs.String("db", "", "postgres://user@host/db (default: SQLite in the data folder)")
	hosts := fs.String("hosts", "", "extra host names/IPs for the self-signed certificate, comma separated")
	dataKey := fs.String("data-key", "", "file of the data key (or $"+DataKeyEnv+"; default DATA/"+server.DataKeyFile+")")
	var from multiFlag
	fs.Var(&from, "trust-from", "a signers' root certificate (PEM/DER file, or a folder of .pem/.crt/.cer) to copy into DATA/trust; repeatable")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("init takes no arguments (got %q)", fs.Arg(0))
	}
	if *data == "" {
		return errors.New("--data DIR is required")
	}
	// Read every certificate first: a wrong file changes nothing.
	var certs []*x509.Certificate
	for _, f := range from {
		cs, err := readRoots(f)
		if err != nil {
			return err
		}
		certs = append(certs, cs...)
	}
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return err
	}
	trust := filepath.Join(*data, TrustDir)
	if err := os.MkdirAll(trust, 0o700); err != nil {
		return err
	}
	added := 0
	for _, c := range certs {
		ok, err := addRoot(trust, c)
		if err != nil {
			return err
		}
		if ok {
			added++
		}
	}
	st, _, err := server.OpenStore(ctx, *data, *db)
	if err != nil {
		return err
	}
	st.Close()
	if _, err := server.LoadOrCreateReceiptKey(*data); err != nil {
		return err
	}
	if _, err := loadDataKey(*dataKey, *data); err != nil {
		return err
	}
	var extra []string
	if *hosts != "" {
		extra = strings.Split(*hosts, ",")
	}
	_, fp, err := server.LoadOrCreateTLS(*data, "", "", extra)
	if err != nil {
		return err
	}
	_, n, terr := server.LoadTrust(trust)
	if terr != nil {
		n = 0
	}
	abs, _ := filepath.Abs(*data)
	fmt.Fprintf(stdout, "data folder:      %s\n", abs)
	fmt.Fprintf(stdout, "trust store:      %s (%d root certificates, %d added now)\n", filepath.Join(abs, TrustDir), n, added)
	fmt.Fprintf(stdout, "TLS fingerprint:  %s\n", fp)
	fmt.Fprintf(stdout, "data key:         back it up apart from the database (see sohoa-central help)\n")
	fmt.Fprintf(stdout, "administrator:    whoever may run sohoa-central on this folder (no accounts of its own)\n")
	if n == 0 {
		fmt.Fprintf(stdout, "next:             sohoa-central init --data %s --trust-from SIGNERS-ROOT.pem  (serve refuses an empty trust store)\n", abs)
	}
	fmt.Fprintf(stdout, "serve with:       sohoa-central serve --data %s --trust %s\n", abs, filepath.Join(abs, TrustDir))
	return nil
}

// readRoots reads the certificates of a PEM or DER file, or of every .pem/.crt/.cer file of a
// folder; it refuses a file with none, and a certificate that is no CA (a signer's own
// certificate is not a trust anchor).
func readRoots(path string) ([]*x509.Certificate, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("--trust-from: %w", err)
	}
	files := []string{path}
	if st.IsDir() {
		files = nil
		ents, err := os.ReadDir(path)
		if err != nil {
			return nil, fmt.Errorf("--trust-from: %w", err)
		}
		for _, e := range ents {
			switch strings.ToLower(filepath.Ext(e.Name())) {
			case ".pem", ".crt", ".cer":
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
	}
	var out []*x509.Certificate
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("--trust-from: %w", err)
		}
		var found []*x509.Certificate
		for rest := raw; ; {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			if b.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("--trust-from %s: %w", filepath.Base(f), err)
			}
			found = append(found, c)
		}
		if len(found) == 0 {
			c, err := x509.ParseCertificate(raw)
			if err != nil {
				return nil, fmt.Errorf("--trust-from %s: no certificate in it", filepath.Base(f))
			}
			found = append(found, c)
		}
		for _, c := range found {
			if !c.IsCA {
				return nil, fmt.Errorf("--trust-from %s: the certificate of %q is not a CA: give the root (or intermediate) certificate that issued the signers' certificates", filepath.Base(f), c.Subject.CommonName)
			}
		}
		out = append(out, found...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--trust-from %s: no certificate found", path)
	}
	return out, nil
}

// addRoot writes c into the trust folder as root-<first 16 hex digits of its SHA-256>.pem,
// unless it is already there. It reports whether it wrote a file.
func addRoot(dir string, c *x509.Certificate) (bool, error) {
	name := filepath.Join(dir, "root-"+certID(c)+".pem")
	if _, err := os.Stat(name); err == nil {
		return false, nil
	}
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o644); err != nil {
		return false, err
	}
	return true, os.Rename(tmp, name)
}

func certID(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:8])
}

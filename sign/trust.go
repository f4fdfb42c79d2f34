package sign

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LoadTrust reads trusted root certificates from a PEM file, or from every .pem/.crt/.cer file
// (PEM or DER) in a folder, and says how many it read. The workstation's trust store and the
// central server's --trust are read by it.
func LoadTrust(path string) (*x509.CertPool, int, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, 0, fmt.Errorf("trust store: %w", err)
	}
	files := []string{path}
	if st.IsDir() {
		files = nil
		ents, err := os.ReadDir(path)
		if err != nil {
			return nil, 0, fmt.Errorf("trust store: %w", err)
		}
		for _, e := range ents {
			switch strings.ToLower(filepath.Ext(e.Name())) {
			case ".pem", ".crt", ".cer":
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
	}
	pool := x509.NewCertPool()
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, 0, fmt.Errorf("trust store: %w", err)
		}
		found := false
		for {
			var b *pem.Block
			b, data = pem.Decode(data)
			if b == nil {
				break
			}
			if b.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, 0, fmt.Errorf("trust store %s: %w", filepath.Base(f), err)
			}
			pool.AddCert(c)
			n++
			found = true
		}
		if !found {
			if c, err := x509.ParseCertificate(data); err == nil {
				pool.AddCert(c)
				n++
			}
		}
	}
	if n == 0 {
		return nil, 0, fmt.Errorf("trust store %s: no certificate found", path)
	}
	return pool, n, nil
}

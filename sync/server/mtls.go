package server

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
)

// LoadClientCAs reads the PEM certificates of the CAs whose client certificates are accepted
// with mutual TLS (sohoa-central serve --client-ca).
func LoadClientCAs(path string) (*x509.CertPool, int, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, fmt.Errorf("client CA: %w", err)
	}
	pool := x509.NewCertPool()
	n := 0
	for rest := raw; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, 0, fmt.Errorf("client CA %s: %w", path, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, 0, fmt.Errorf("client CA %s: no PEM certificate in it", path)
	}
	return pool, n, nil
}

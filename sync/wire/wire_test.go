package wire

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const validManifest = `{"version":1,"batch_id":"01934b2c-0000-7000-8000-000000000001","workstation_id":"ws-1","office":"HN-01","seq":1,"record_type":"khai-sinh","created_at":"2026-11-23T09:00:00Z","documents":[{"id":"d1","pdf_sha256":"` + h64 + `","pdf_size":10,"pages":[{"sha256":"` + h64b + `","size":5}]}]}`

const (
	h64  = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	h64b = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
)

func TestDecodeManifest(t *testing.T) {
	m, raw, err := DecodeManifest(strings.NewReader(validManifest))
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != validManifest || m.Seq != 1 || len(m.Blobs()) != 2 || m.Blobs()[0] != h64 {
		t.Fatalf("decoded %+v", m)
	}
	bad := map[string]string{
		"unknown field":  strings.Replace(validManifest, `{"version"`, `{"extra":1,"version"`, 1),
		"trailing":       validManifest + `{}`,
		"version":        strings.Replace(validManifest, `"version":1`, `"version":2`, 1),
		"batch id upper": strings.Replace(validManifest, `01934b2c`, `01934B2C`, 1),
		"office slash":   strings.Replace(validManifest, `"HN-01"`, `"../x"`, 1),
		"seq zero":       strings.Replace(validManifest, `"seq":1`, `"seq":0`, 1),
		"hash short":     strings.Replace(validManifest, h64, h64[:63], 1),
		"no pages":       strings.Replace(validManifest, `"pages":[{"sha256":"`+h64b+`","size":5}]`, `"pages":[]`, 1),
		"dup docs":       strings.Replace(validManifest, `}]}]}`, `}]},{"id":"d1","pdf_sha256":"`+h64+`","pdf_size":10,"pages":[{"sha256":"`+h64b+`","size":5}]}]}`, 1),
		"not json":       `<xml/>`,
		"too big":        validManifest + strings.Repeat(" ", MaxManifestBytes),
	}
	for name, in := range bad {
		if _, _, err := DecodeManifest(strings.NewReader(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseBlobName(t *testing.T) {
	if _, err := ParseBlobName(h64); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"", strings.ToUpper(h64), h64 + "0", "../" + h64[3:], h64[:63] + "/", h64[:63] + "g"} {
		if _, err := ParseBlobName(s); err == nil {
			t.Errorf("accepted %q", s)
		}
	}
}

func TestReceipt(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	r := Receipt{Version: 1, BatchID: "b", Seq: 3, CommittedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	signed, err := SignReceipt(key, r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := VerifyReceipt(pub, signed)
	if err != nil || got.Seq != 3 || got.KeyID != KeyID(pub) {
		t.Fatalf("%+v %v", got, err)
	}
	var sr SignedReceipt
	json.Unmarshal(signed, &sr)
	sr.Receipt = bytes.Replace(sr.Receipt, []byte(`"seq":3`), []byte(`"seq":4`), 1)
	tampered, _ := json.Marshal(sr)
	if _, err := VerifyReceipt(pub, tampered); err != ErrReceiptSignature {
		t.Fatalf("tampered receipt: %v", err)
	}
}

func TestErrorPermanence(t *testing.T) {
	if !(&Error{Status: 403, Code: "wrong_office"}).IsPermanent() {
		t.Fatal("403 not permanent")
	}
	for _, c := range []string{CodeMissingBlobs, CodeRateLimited, CodeUploadOffset} {
		if (&Error{Status: 409, Code: c}).IsPermanent() {
			t.Fatalf("%s permanent", c)
		}
	}
	if (&Error{Status: 502, Code: "x"}).IsPermanent() {
		t.Fatal("502 permanent")
	}
	if e := DecodeError(502, []byte("<html>bad gateway</html>")); e.Code != "http_502" || e.IsPermanent() {
		t.Fatalf("%+v", e)
	}
}

func FuzzDecodeManifest(f *testing.F) {
	f.Add([]byte(validManifest))
	f.Add([]byte(`{"version":1,"documents":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, raw, err := DecodeManifest(bytes.NewReader(b))
		if err != nil {
			return
		}
		if !bytes.Equal(raw, b) {
			t.Fatal("raw bytes differ from input")
		}
		// Whatever is accepted is valid, and names only well-formed blobs.
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
		for _, h := range m.Blobs() {
			if _, err := ParseBlobName(h); err != nil {
				t.Fatalf("accepted blob name %q", h)
			}
		}
	})
}

func FuzzParseBlobName(f *testing.F) {
	f.Add(h64)
	f.Add("../../etc/passwd")
	f.Add(strings.ToUpper(h64))
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseBlobName(s)
		if err != nil {
			return
		}
		if got != s || len(s) != 64 || strings.ContainsAny(s, "./\\\x00") {
			t.Fatalf("accepted %q", s)
		}
	})
}

func FuzzVerifyReceipt(f *testing.F) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	signed, _ := SignReceipt(key, Receipt{Version: 1, BatchID: "b"})
	f.Add(signed)
	f.Add([]byte(`{"receipt":{},"signature":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := VerifyReceipt(pub, b); err == nil && !bytes.Equal(b, signed) {
			var a, c SignedReceipt
			json.Unmarshal(b, &a)
			json.Unmarshal(signed, &c)
			if !bytes.Equal(a.Receipt, c.Receipt) {
				t.Fatalf("forged receipt verified: %q", b)
			}
		}
	})
}

// TestManifestAuditHead: the audit head is optional; a manifest without it marshals to the
// same bytes as before the field existed (so its signature still verifies), one with it must
// be well formed, and the receipt carries it through signing.
func TestManifestAuditHead(t *testing.T) {
	m, _, err := DecodeManifest(strings.NewReader(validManifest))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(m)
	if string(again) != validManifest {
		t.Fatalf("a manifest without audit_head changed bytes:\n%s", again)
	}
	withHead := strings.Replace(validManifest, `]}]}`, `]}],"audit_head":{"seq":42,"hash":"`+h64b+`"}}`, 1)
	m, _, err = DecodeManifest(strings.NewReader(withHead))
	if err != nil || m.AuditHead == nil || m.AuditHead.Seq != 42 || m.AuditHead.Hash != h64b {
		t.Fatalf("with audit_head: %+v %v", m, err)
	}
	for name, in := range map[string]string{
		"seq zero":   strings.Replace(withHead, `"seq":42`, `"seq":0`, 1),
		"hash short": strings.Replace(withHead, `"hash":"`+h64b, `"hash":"`+h64b[:60], 1),
		"unknown":    strings.Replace(withHead, `"seq":42`, `"seq":42,"x":1`, 1),
	} {
		if _, _, err := DecodeManifest(strings.NewReader(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	signed, err := SignReceipt(key, Receipt{Version: 1, BatchID: m.BatchID, Seq: 1, AuditHead: m.AuditHead})
	if err != nil {
		t.Fatal(err)
	}
	r, err := VerifyReceipt(pub, signed)
	if err != nil || r.AuditHead == nil || *r.AuditHead != *m.AuditHead {
		t.Fatalf("receipt audit head: %+v %v", r.AuditHead, err)
	}
	if old, _ := SignReceipt(key, Receipt{Version: 1}); bytes.Contains(old, []byte("audit_head")) {
		t.Fatal("a receipt without a head names audit_head")
	}
}

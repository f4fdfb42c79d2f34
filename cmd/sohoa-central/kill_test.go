package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/sync/wire"
)

// The test binary doubles as the server: with SOHOA_CENTRAL_CHILD set it runs main's run()
// with the unit-separator (0x1f) separated arguments in SOHOA_CENTRAL_ARGS, so the kill test can SIGKILL a real
// server process.
func TestMain(m *testing.M) {
	if os.Getenv("SOHOA_CENTRAL_CHILD") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := run(ctx, strings.Split(os.Getenv("SOHOA_CENTRAL_ARGS"), "\x1f"), os.Stdout)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type child struct {
	cmd    *exec.Cmd
	addr   string
	client *http.Client
}

func startChild(t *testing.T, dir string) *child {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SOHOA_CENTRAL_CHILD=1", "SOHOA_CENTRAL_ARGS="+strings.Join([]string{"--data", dir, "--listen", addr, "--insecure-hash-only"}, "\x1f"))
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, addr: addr}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if c.client = waitHealthy(addr, 600, trustServerCert(dir, "")); c.client == nil {
		t.Fatal("server child did not come up")
	}
	return c
}

// waitHealthy polls https://addr/healthz every 50 ms, at most tries times, with the client
// dial makes (nil while the server's certificate is not yet on disk; dial is called until it
// gives one): the client once /healthz answers 200, nil when it never did.
// trustServerCert dials with a client that trusts the certificate the server made in dir
// (nil until the server has written it); serverName, when set, is the name checked.
func trustServerCert(dir, serverName string) func() *http.Client {
	return func() *http.Client {
		pemCert, err := os.ReadFile(filepath.Join(dir, server.TLSCertFile))
		if err != nil {
			return nil
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pemCert)
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: serverName}}}
	}
}

func waitHealthy(addr string, tries int, dial func() *http.Client) *http.Client {
	var client *http.Client
	for i := 0; i <= tries; i++ {
		if client == nil {
			client = dial()
		}
		if client != nil {
			if resp, err := client.Get("https://" + addr + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return client
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

func (c *child) do(t *testing.T, method, path, token string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, "https://"+c.addr+path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

func hexsum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestKillDuringUpload SIGKILLs the server while it writes a blob and again after a commit:
// after each restart nothing half-written is visible, the upload can be redone, and the commit
// answers the same receipt, signed by the same key.
func TestKillDuringUpload(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"enroll-code", "--data", dir, "--office", "HN-01"}, &out); err != nil {
		t.Fatal(err)
	}
	c := startChild(t, dir)
	st, raw := c.do(t, "POST", "/v1/enroll", "", []byte(fmt.Sprintf(`{"code":%q}`, strings.TrimSpace(out.String()))))
	var ws wire.EnrollAnswer
	if err := json.Unmarshal(raw, &ws); err != nil || st != 201 {
		t.Fatalf("enroll: %d %s", st, raw)
	}
	page := make([]byte, 8<<20)
	rand.Read(page)
	id := "01934b2c-0000-7000-8000-000000000042"
	// A real PDF with its record.json (the server stores its fields at commit).
	record, _ := json.Marshal(map[string]any{"batch_id": id, "document_id": "d1", "record_type": "khai-sinh", "office": "HN-01",
		"fields": []map[string]string{{"key": "ho_ten", "value": "Nguyễn Văn An"}}})
	pdf, err := sign.BuildPDF(sign.DocumentInput{Title: "Hồ sơ thử", FieldsJSON: record,
		Pages: []sign.PageInput{{Image: synctest.PageImage(mrand.New(mrand.NewPCG(4, 2)), 16, 16)}}})
	if err != nil {
		t.Fatal(err)
	}
	m := wire.Manifest{Version: 1, BatchID: id, WorkstationID: ws.WorkstationID, Office: "HN-01", Seq: 1, RecordType: "khai-sinh",
		CreatedAt: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Documents: []wire.Document{{ID: "d1", PDFSHA256: hexsum(pdf),
			PDFSize: int64(len(pdf)), Pages: []wire.Page{{SHA256: hexsum(page), Size: int64(len(page))}}}}}
	manifest, _ := json.Marshal(m)
	if st, raw := c.do(t, "PUT", "/v1/batches/"+id, ws.Token, manifest); st != 200 {
		t.Fatalf("manifest: %d %s", st, raw)
	}

	// Stream the first 2 MiB of the page, wait until the server has written some of it to its
	// temp file, then kill the server.
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("PUT", "https://"+c.addr+"/v1/blobs/"+hexsum(page), pr)
	req.ContentLength = int64(len(page))
	req.Header.Set("Authorization", "Bearer "+ws.Token)
	go func() {
		if resp, err := c.client.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	go pw.Write(page[:2<<20])
	tmpDir := filepath.Join(dir, "blobs", "tmp")
	for i := 0; ; i++ {
		ents, _ := os.ReadDir(tmpDir)
		if len(ents) == 1 {
			if info, err := ents[0].Info(); err == nil && info.Size() > 0 {
				break
			}
		}
		if i > 1000 {
			t.Fatal("the server never started writing the blob")
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.cmd.Process.Kill()
	c.cmd.Wait()
	pw.CloseWithError(io.ErrClosedPipe)

	if ents, _ := os.ReadDir(tmpDir); len(ents) != 1 {
		t.Fatalf("%d temp files after the kill, want the one half-written", len(ents))
	}
	c = startChild(t, dir)
	if st, _ := c.do(t, "HEAD", "/v1/blobs/"+hexsum(page), ws.Token, nil); st != 404 {
		t.Fatalf("half-written blob visible after restart: HEAD %d", st)
	}
	st, raw = c.do(t, "PUT", "/v1/batches/"+id, ws.Token, manifest)
	var a wire.ManifestAnswer
	if json.Unmarshal(raw, &a); st != 200 || len(a.Missing) != 2 {
		t.Fatalf("manifest after restart: %d %s", st, raw)
	}
	for _, b := range [][]byte{pdf, page} {
		if st, raw := c.do(t, "PUT", "/v1/blobs/"+hexsum(b), ws.Token, b); st != 201 {
			t.Fatalf("upload after restart: %d %s", st, raw)
		}
	}
	st, receipt := c.do(t, "POST", "/v1/batches/"+id+"/commit", ws.Token, nil)
	if st != 200 {
		t.Fatalf("commit: %d %s", st, receipt)
	}
	c.cmd.Process.Kill()
	c.cmd.Wait()

	c = startChild(t, dir)
	st, again := c.do(t, "POST", "/v1/batches/"+id+"/commit", ws.Token, nil)
	if st != 200 || !bytes.Equal(again, receipt) {
		t.Fatalf("commit after restart: %d, same receipt=%v", st, bytes.Equal(again, receipt))
	}
	pub, _ := base64.StdEncoding.DecodeString(ws.ReceiptKey)
	if r, err := wire.VerifyReceipt(ed25519.PublicKey(pub), again); err != nil || r.BatchID != id || r.Blobs != 2 {
		t.Fatalf("receipt after restarts: %+v %v", r, err)
	}
	// The field values stored before the kill still decrypt: the data key was made once, on
	// first start, in the data folder (0600) and read back.
	if st, err := os.Stat(filepath.Join(dir, server.DataKeyFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("data key file: %v", err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"reader-token", "--data", dir, "--name", "cổng"}, &out); err != nil {
		t.Fatal(err)
	}
	st, raw = c.do(t, "GET", "/v1/read/batches/"+id, strings.TrimSpace(out.String()), nil)
	var detail server.ReadBatchDetail
	if json.Unmarshal(raw, &detail); st != 200 || len(detail.DocumentList) != 1 || detail.DocumentList[0].Fields["ho_ten"] != "Nguyễn Văn An" {
		t.Fatalf("fields after restarts: %d %s", st, raw)
	}
}

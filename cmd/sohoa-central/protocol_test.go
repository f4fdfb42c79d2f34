package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/internal/archive"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/client"
	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/synctest"
)

// example is one command of a console block of sync/PROTOCOL.md and the output written
// under it.
type example struct {
	line  int      // of the command's first line in PROTOCOL.md
	block string   // the whole console block (some commands depend on the block's setup)
	cmd   string   // continuation lines joined
	out   []string // the lines after it, up to the next command
}

// protocolExamples reads the commands (lines "$ …", continued by a trailing backslash) of the
// console blocks of PROTOCOL.md, each with the output lines under it.
func protocolExamples(t *testing.T) []example {
	t.Helper()
	f, err := os.Open("../../sync/PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var all []example
	var block []example
	var blockText []string
	in, cont, n := false, false, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		l := sc.Text()
		trim := strings.TrimSpace(l)
		switch {
		case !in && strings.HasPrefix(trim, "```console"):
			in, block, blockText = true, nil, nil
		case in && strings.HasPrefix(trim, "```"):
			for i := range block {
				block[i].block = strings.Join(blockText, "\n")
			}
			all = append(all, block...)
			in = false
		case in && cont:
			block[len(block)-1].cmd += " " + strings.TrimSuffix(trim, "\\")
			cont = strings.HasSuffix(trim, "\\")
			blockText = append(blockText, l)
		case in && strings.HasPrefix(trim, "$ "):
			block = append(block, example{line: n, cmd: strings.TrimSuffix(strings.TrimPrefix(trim, "$ "), "\\")})
			cont = strings.HasSuffix(trim, "\\")
			blockText = append(blockText, l)
		case in && len(block) > 0:
			block[len(block)-1].out = append(block[len(block)-1].out, l)
			blockText = append(blockText, l)
		case in:
			blockText = append(blockText, l)
		}
	}
	return all
}

// notRun are the curl examples this test does not run, each with why (a substring of the
// command picks it). Every entry must match an example, so the list cannot go stale.
var notRun = map[string]string{
	`curl -i … "$S/v1/read/search?date_field=`: "answers 503 only while a server indexes old values (sync/server TestRecordDates* runs it)",
}

// TestProtocolCurlExamples starts the real sohoa-central (this test binary running main's
// run, as the kill test does) on a fresh data folder with a signers' root it trusts, uploads
// really signed batches of two offices through the real sync client (PAdES PDFs with their
// record.json, a CMS-signed manifest, archive file data), and then runs every curl example of
// sync/PROTOCOL.md with the real curl: $S, $T, $R, $B, $D and $H are the server, the
// workstation and reader tokens, a committed batch, one of its documents and a blob; "…" and
// "..." in a command are the usual --cacert and Authorization options. Each command must
// answer what PROTOCOL.md shows under it: the HTTP status, the JSON members and error codes
// and messages it names, the CSV header's first columns, the literal lines. And the examples
// find the record by a name typed without diacritics and by its ID number, and export it with
// its fields, diacritics intact. The mutual TLS block runs last, on the same data folder
// served again with --client-ca (a client CA and a platform certificate made here): with the
// certificate the call answers, without it curl fails with the TLS alert the block shows.
func TestProtocolCurlExamples(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatalf("the PROTOCOL.md examples need curl: %v", err)
	}
	if _, err := exec.LookPath("jq"); err != nil {
		t.Fatalf("the PROTOCOL.md examples need jq: %v", err)
	}
	ctx := context.Background()
	tmp := t.TempDir()
	data, work := filepath.Join(tmp, "central"), filepath.Join(tmp, "curl")
	os.MkdirAll(work, 0o700)
	pki, err := synctest.NewPKI("Người Duyệt Hồ Sơ")
	if err != nil {
		t.Fatal(err)
	}
	trust, err := pki.WriteRoot(tmp)
	if err != nil {
		t.Fatal(err)
	}
	metricsToken := hex.EncodeToString(randBytes(16))
	os.WriteFile(filepath.Join(work, "metrics-token"), []byte(metricsToken+"\n"), 0o600)
	os.MkdirAll(data, 0o700)
	srv := startCentral(t, data, "--trust", trust, "--metrics-token-file", filepath.Join(work, "metrics-token"))
	pemCert, err := os.ReadFile(filepath.Join(data, server.TLSCertFile))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(work, "tls-cert.pem"), pemCert, 0o600)

	// Two workstations (HN-01 and HCM-02), enrolled and sending really signed batches.
	central := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, append(args[:1:1], append([]string{"--data", data}, args[1:]...)...), &out); err != nil {
			t.Fatalf("sohoa-central %s: %v", args[0], err)
		}
		return strings.TrimSpace(out.String())
	}
	type station struct {
		ws    *synctest.Workstation
		token string
	}
	archFile := &archive.File{FileCode: "KS-2026-ĐN01", Title: "Hồ sơ đăng ký khai sinh tháng 3 năm 2026", Retention: archive.RetentionPermanent,
		AccessLevel: archive.AccessConditional, Language: "vi", StartDate: "2026-03-01", EndDate: "2026-03-31", Keywords: []string{"khai sinh"},
		Reliability: archive.ReliabilityDigitised}
	send := func(office string, fields [][]queue.FieldValue, arch *archive.File) (station, string) {
		t.Helper()
		ws, err := synctest.NewWorkstation(ctx, filepath.Join(tmp, "ws-"+office))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Store.Close() })
		if err := ws.Store.RegisterRecordTypes(ctx, []queue.RecordType{{Key: "khai-sinh", NameVi: "Khai sinh", NameEn: "Birth registration"}}); err != nil {
			t.Fatal(err)
		}
		enroller := &client.Client{Store: ws.Store, Actor: ws.Admin, TLSFingerprint: srv.fp}
		if _, err := enroller.Enroll(ctx, "https://"+srv.addr, central("enroll-code", "--office", office)); err != nil {
			t.Fatal(err)
		}
		spec := synctest.BatchSpec{Office: office, Documents: len(fields), RecordType: "khai-sinh", Archive: arch,
			Fields: func(d int) []queue.FieldValue { return fields[d] }}
		if arch != nil {
			spec.DocArchive = func(d int) archive.Document {
				return archive.Document{TypeName: "Giấy khai sinh", Number: fmt.Sprint(15 + d), Symbol: "TLKS", Date: fmt.Sprintf("2026-03-%02d", 15+d)}
			}
		}
		id, err := ws.SignedBatch(ctx, pki, spec, mrand.New(mrand.NewPCG(7, uint64(len(office)))))
		if err != nil {
			t.Fatal(err)
		}
		c, err := client.FromStore(ctx, ws.Store, ws.Supervisor)
		if err != nil {
			t.Fatal(err)
		}
		if sum, err := c.RunPass(ctx, true); err != nil || sum.Done != 1 {
			t.Fatalf("sync of %s: %+v, %v", office, sum, err)
		}
		tok, _ := ws.Store.Setting(ctx, client.SettingToken)
		return station{ws, tok}, id
	}
	keyed := func(kv ...string) []queue.FieldValue {
		var out []queue.FieldValue
		for i := 0; i < len(kv); i += 2 {
			out = append(out, queue.FieldValue{Key: kv[i], Value: kv[i+1], Source: queue.SourceKeyed})
		}
		return out
	}
	hn, batch := send("HN-01", [][]queue.FieldValue{
		keyed("ho_ten", "Nguyễn Văn An", "so_cccd", "001203004567", "ngay_sinh", "12/03/2003", "ngay_dang_ky", "15/03/2026"),
		keyed("ho_ten", "Nguyễn Văn Ân", "so_cccd", "001203009999", "ngay_sinh", "01/01/2004", "ngay_dang_ky", "31/03/2026"),
	}, archFile)
	send("HCM-02", [][]queue.FieldValue{keyed("ho_ten", "Trần Thị Bình", "so_cccd", "079203001234", "ngay_sinh", "02/02/2002", "ngay_dang_ky", "10/03/2026")}, nil)
	docs, err := hn.ws.Store.Documents(ctx, batch)
	if err != nil || len(docs) != 2 {
		t.Fatalf("documents of the batch: %d (%v)", len(docs), err)
	}
	doc := fmt.Sprint(docs[0].ID)
	reader := central("reader-token", "--name", "Cổng dữ liệu tỉnh")
	scoped := central("reader-token", "--name", "Sở Tư pháp HN", "--office", "HN-01", "--record-type", "khai-sinh,ket-hon")

	// Blobs for the blob examples: a page, and a 10 MiB blob sent in chunks.
	page := synctest.PageImage(mrand.New(mrand.NewPCG(9, 9)), 40, 40)
	os.WriteFile(filepath.Join(work, "page-1.png"), page, 0o600)
	big := randBytes(10 << 20)
	os.WriteFile(filepath.Join(work, "chunk0"), big[:4<<20], 0o600)

	env := append(os.Environ(), "S=https://"+srv.addr, "T="+hn.token, "B="+batch, "D="+doc)
	auth := func(tok string) string { return `--cacert tls-cert.pem -H "Authorization: Bearer ` + tok + `"` }
	batchRef := regexp.MustCompile(`01934b2c-…-\d{12}`)
	used := map[string]bool{}
	ran, outputs := 0, map[string]string{}
	// runCurl runs one curl example with env and checks its answer against the document.
	runCurl := func(ex example, env []string) {
		r := reader // the block that makes a scoped reader uses it
		if strings.Contains(ex.block, "--record-type khai-sinh,ket-hon") {
			r = scoped
		}
		cmd := ex.cmd
		h := hexsum(page)
		if strings.Contains(cmd, "Content-Range") {
			h = hexsum(big)
		}
		cmd = strings.Replace(cmd, "curl ... ", "curl "+auth("$T")+" ", 1)
		cmd = strings.Replace(cmd, " … ", " "+auth("$R")+" ", 1)
		cmd = batchRef.ReplaceAllString(cmd, batch)
		cmd = strings.Replace(cmd, "ES7X-ZP37-WG47-GVVU", central("enroll-code", "--office", "HN-01"), 1)
		if strings.Contains(cmd, "…") || strings.Contains(cmd, "...") {
			t.Errorf("PROTOCOL.md:%d: a placeholder the test does not know is left in %q", ex.line, cmd)
			return
		}
		wantStatus := expectedStatus(ex.out)
		wantFail := "" // curl's own error, when the document shows one
		for _, l := range ex.out {
			if strings.HasPrefix(l, "curl: (") {
				wantFail = l
			}
		}
		// The status goes to stderr (after any body or headers on stdout, jq's output included).
		cmd = strings.Replace(cmd, "curl ", `curl -sS -w '%{stderr}HTTP-STATUS %{http_code}\n' `, 1)
		if len(wantStatus) > 0 && !strings.Contains(cmd, " -I ") && !strings.Contains(cmd, " -i ") {
			cmd = strings.Replace(cmd, "curl ", "curl -i ", 1)
		}
		sh := exec.Command("bash", "-o", "pipefail", "-c", cmd)
		sh.Dir, sh.Env = work, append(env, "R="+r, "H="+h)
		var stdout, stderr bytes.Buffer
		sh.Stdout, sh.Stderr = &stdout, &stderr
		runErr := sh.Run()
		ran++
		got := strings.ReplaceAll(stdout.String(), "\r\n", "\n")
		status := ""
		if m := regexp.MustCompile(`HTTP-STATUS (\d+)`).FindStringSubmatch(stderr.String()); m != nil {
			status = m[1]
		}
		where := fmt.Sprintf("PROTOCOL.md:%d %s", ex.line, ex.cmd)
		switch {
		case wantFail != "":
			// curl's exit code and the TLS alert (OpenSSL's wording around it varies by version).
			code := wantFail[:strings.Index(wantFail, ")")+1]
			alert := wantFail
			if i := strings.LastIndex(alert, "::"); i >= 0 {
				alert = alert[i+2:]
			}
			alert, _, _ = strings.Cut(alert, ",")
			if runErr == nil || !strings.Contains(stderr.String(), code) || !strings.Contains(stderr.String(), alert) {
				t.Errorf("%s: %v, stderr %q, the document says %q", where, runErr, stderr.String(), wantFail)
			}
			return
		case len(wantStatus) > 0 && !slices.Contains(wantStatus, status):
			t.Errorf("%s: HTTP %s, the document says %v\n%s%s", where, status, wantStatus, got, stderr.String())
			return
		case len(wantStatus) == 0 && (runErr != nil || status < "200" || status > "299"):
			t.Errorf("%s: %v, HTTP %s\n%s%s", where, runErr, status, got, stderr.String())
			return
		}
		outputs[ex.cmd] = got
		checkOutput(t, where, ex.out, got, work)
	}
	var mtls []example
	for _, ex := range protocolExamples(t) {
		if !strings.HasPrefix(ex.cmd, "curl ") {
			// Files the curl commands wrote are looked at as the document does.
			if strings.HasPrefix(ex.cmd, "head ") || strings.HasPrefix(ex.cmd, "sha256sum ") {
				sh := exec.Command("bash", "-o", "pipefail", "-c", ex.cmd)
				sh.Dir = work
				out, err := sh.Output()
				if err != nil {
					t.Errorf("PROTOCOL.md:%d %s: %v", ex.line, ex.cmd, err)
				}
				outputs[ex.cmd] = string(out)
				checkOutput(t, fmt.Sprintf("PROTOCOL.md:%d %s", ex.line, ex.cmd), ex.out, string(out), work)
			}
			continue
		}
		skip := false
		for k, why := range notRun {
			if strings.Contains(ex.cmd, k) {
				used[k], skip = true, true
				t.Logf("PROTOCOL.md:%d not run: %s", ex.line, why)
			}
		}
		if skip {
			continue
		}
		if strings.Contains(ex.block, "--client-ca") { // run below, on a server that requires client certificates
			mtls = append(mtls, ex)
			continue
		}
		runCurl(ex, env)
	}
	// Mutual TLS: the same data folder served again with --client-ca, as the block says.
	if len(mtls) != 2 {
		t.Fatalf("%d curl examples in the mutual TLS block, want 2", len(mtls))
	}
	clientCert := writeClientPKI(t, work)
	srv.stop()
	srv = startCentralWith(t, data, &clientCert, "--trust", trust, "--client-ca", filepath.Join(work, "clients-ca.pem"))
	env = append(env, "S=https://"+srv.addr)
	for _, ex := range mtls {
		runCurl(ex, env)
	}
	for k := range notRun {
		if !used[k] {
			t.Errorf("notRun names %q, which no example of PROTOCOL.md has any more", k)
		}
	}
	if ran < 20 {
		t.Fatalf("ran %d curl examples of PROTOCOL.md, expected at least 20", ran)
	}
	t.Logf("ran %d curl examples of PROTOCOL.md", ran)

	// What the issue asks the read API to show, through the examples' own commands.
	find := func(sub string) string {
		t.Helper()
		for k, v := range outputs {
			if strings.Contains(k, sub) {
				return v
			}
		}
		t.Fatalf("no example ran with %q", sub)
		return ""
	}
	type results struct {
		Results []struct {
			BatchID string `json:"batch_id"`
			Fields  map[string]string
		}
	}
	body := func(out string) results {
		t.Helper()
		var r results
		if i := strings.Index(out, "\n{"); i >= 0 {
			out = out[i+1:]
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v in %q", err, out)
		}
		return r
	}
	byName := body(find(`"value=nguyen van an"`))
	names := []string{}
	for _, r := range byName.Results {
		names = append(names, r.Fields["ho_ten"])
	}
	slices.Sort(names)
	if strings.Join(names, ",") != "Nguyễn Văn An,Nguyễn Văn Ân" {
		t.Errorf("the name typed without diacritics found %q, want Nguyễn Văn An and Nguyễn Văn Ân", names)
	}
	byID := body(find("value=001203004567"))
	if len(byID.Results) != 1 || byID.Results[0].Fields["ho_ten"] != "Nguyễn Văn An" || byID.Results[0].Fields["so_cccd"] != "001203004567" {
		t.Errorf("the ID number found %+v", byID.Results)
	}
	// The PDF fetched is the one signed: its hash is the batch detail's.
	req, _ := http.NewRequest("GET", "https://"+srv.addr+"/v1/read/batches/"+batch, nil)
	req.Header.Set("Authorization", "Bearer "+reader)
	resp, err := srv.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var detail struct {
		DocumentList []struct {
			DocumentID string `json:"document_id"`
			PDFSHA256  string `json:"pdf_sha256"`
		} `json:"document_list"`
	}
	json.NewDecoder(resp.Body).Decode(&detail)
	resp.Body.Close()
	if len(detail.DocumentList) != 2 || detail.DocumentList[0].DocumentID != doc ||
		!strings.HasPrefix(find("sha256sum doc.pdf"), detail.DocumentList[0].PDFSHA256+" ") {
		t.Errorf("sha256sum doc.pdf = %q, batch detail %+v", find("sha256sum doc.pdf"), detail.DocumentList)
	}
	f, err := os.Open(filepath.Join(work, "khai-sinh.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) != 4 {
		t.Fatalf("khai-sinh.csv: %d records (%v), want a header and 3 documents", len(recs), err)
	}
	col := func(name string) int { return slices.Index(recs[0], name) }
	if col("ho_ten") < 0 || col("so_cccd") < 0 || col("ngay_sinh") < 0 || col("file_code") < 0 {
		t.Fatalf("khai-sinh.csv header %q lacks the fields", recs[0])
	}
	var rows []string
	for _, r := range recs[1:] {
		rows = append(rows, r[col("office")]+" "+r[col("ho_ten")]+" "+r[col("so_cccd")]+" "+r[col("ngay_sinh")]+" "+r[col("file_code")])
	}
	slices.Sort(rows)
	want := "HCM-02 Trần Thị Bình 079203001234 02/02/2002 |HN-01 Nguyễn Văn An 001203004567 12/03/2003 KS-2026-ĐN01|HN-01 Nguyễn Văn Ân 001203009999 01/01/2004 KS-2026-ĐN01"
	if strings.Join(rows, "|") != want {
		t.Errorf("khai-sinh.csv rows:\n%s\nwant\n%s", strings.Join(rows, "|"), want)
	}
	// The document-date export holds the archive file's two documents (dated 15 and 16 March).
	raw, err := os.ReadFile(filepath.Join(work, "tai-lieu-2026-03.csv"))
	if recs, cerr := csv.NewReader(bytes.NewReader(raw)).ReadAll(); err != nil || cerr != nil || len(recs) != 3 {
		t.Errorf("tai-lieu-2026-03.csv: %d records (%v %v), want a header and 2 documents", len(recs), err, cerr)
	}
}

// expectedStatus is the HTTP status the output under a command shows: the "HTTP/1.1 NNN"
// lines (several when the document lists alternatives), the status of an error code's
// answer, or none (any 2xx).
func expectedStatus(out []string) []string {
	var st []string
	for _, l := range out {
		if m := regexp.MustCompile(`^HTTP/1\.1 (\d{3}) `).FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			st = append(st, m[1])
		}
	}
	if len(st) > 0 {
		return st
	}
	if len(out) > 0 {
		if m := regexp.MustCompile(`^\{"code":"(\w+)"`).FindStringSubmatch(strings.TrimSpace(out[0])); m != nil {
			return []string{map[string]string{"malformed_request": "400", "reader_record_type": "403", "reader_office": "403",
				"unavailable": "503"}[m[1]]}
		}
	}
	return nil
}

// checkOutput compares what curl printed with what PROTOCOL.md shows under the command: each
// header it names is there; each JSON member name it shows is in the answer, and its code and
// messages are the answer's; a line of plain text (jq's output) is printed as written; a CSV
// header's columns, up to "…", are the real header's first ones. A "…" stands for anything.
func checkOutput(t *testing.T, where string, want []string, got, work string) {
	t.Helper()
	text := strings.Join(want, "\n")
	if i := strings.Index(text, "#"); i >= 0 && strings.HasPrefix(strings.TrimSpace(text), "HTTP/") {
		text = regexp.MustCompile(`(?m)\s+#.*$`).ReplaceAllString(text, "")
	}
	for _, m := range regexp.MustCompile(`(?m)^([A-Z][A-Za-z-]+): `).FindAllStringSubmatch(text, -1) {
		if !regexp.MustCompile(`(?mi)^` + regexp.QuoteMeta(m[1]) + `: `).MatchString(got) {
			t.Errorf("%s: the answer has no %s header:\n%s", where, m[1], got)
		}
	}
	for _, m := range regexp.MustCompile(`"(\w+)":`).FindAllStringSubmatch(text, -1) {
		if m[1] == "next" { // only when there is a next page; paging is sync/server's tests'
			continue
		}
		if !strings.Contains(got, `"`+m[1]+`":`) {
			t.Errorf("%s: the answer has no %q member:\n%s", where, m[1], got)
		}
	}
	for _, m := range regexp.MustCompile(`"(code|message_vi|message_en)":"([^"]*)"`).FindAllStringSubmatch(text, -1) {
		v := m[2]
		if i := strings.Index(v, "…"); i >= 0 {
			v = v[:i]
		}
		if !strings.Contains(got, `"`+m[1]+`":"`+v) {
			t.Errorf("%s: %s is not %q:\n%s", where, m[1], m[2], got)
		}
	}
	for _, l := range want {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, `"`) && strings.HasSuffix(l, `"`) && !strings.Contains(l, "…") {
			if !slices.Contains(strings.Split(got, "\n"), l) {
				t.Errorf("%s: the output has no line %s:\n%s", where, l, got)
			}
		}
		if strings.HasPrefix(l, "batch_id,") {
			cols := strings.Split(strings.TrimSuffix(strings.Split(l, "…")[0], ","), ",")
			header := strings.SplitN(got, "\n", 2)[0]
			if !strings.HasPrefix(header+",", strings.Join(cols, ",")+",") {
				t.Errorf("%s: CSV header %q, the document shows %q", where, header, l)
			}
		}
	}
}

// central is a sohoa-central serve child process (this test binary running main's run).
type centralChild struct {
	addr, fp string
	client   *http.Client
	cmd      *exec.Cmd
}

// startCentral starts `sohoa-central serve --data dir --listen ADDR extra...` and waits for
// its /healthz.
func startCentral(t *testing.T, dir string, extra ...string) *centralChild {
	t.Helper()
	return startCentralWith(t, dir, nil, extra...)
}

// stop kills the server and waits for it to exit.
func (c *centralChild) stop() {
	c.cmd.Process.Kill()
	c.cmd.Wait()
}

// startCentralWith is startCentral; with clientCert, the health check presents it (mutual TLS).
func startCentralWith(t *testing.T, dir string, clientCert *tls.Certificate, extra ...string) *centralChild {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	var logs bytes.Buffer
	cmd.Env = append(os.Environ(), "SOHOA_CENTRAL_CHILD=1",
		"SOHOA_CENTRAL_ARGS="+strings.Join(append([]string{"serve", "--data", dir, "--listen", addr}, extra...), "\x1f"))
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait() // already waited for when stopped: the error is ignored
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	c := &centralChild{addr: addr, cmd: cmd}
	if c.client = waitHealthy(addr, 600, func() *http.Client {
		pemCert, err := os.ReadFile(filepath.Join(dir, server.TLSCertFile))
		if err != nil {
			return nil
		}
		keyPEM, err := os.ReadFile(filepath.Join(dir, server.TLSKeyFile))
		if err != nil {
			return nil
		}
		cert, err := tls.X509KeyPair(pemCert, keyPEM)
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(cert.Certificate[0])
		c.fp = hex.EncodeToString(sum[:])
		tc := &tls.Config{InsecureSkipVerify: true}
		if clientCert != nil {
			tc.Certificates = []tls.Certificate{*clientCert}
		}
		return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
	}); c.client == nil {
		t.Fatalf("sohoa-central did not come up:\n%s", logs.String())
	}
	return c
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// writeClientPKI writes, into dir, a client CA (clients-ca.pem) and a platform's certificate
// issued by it (platform.crt, platform.key), as PROTOCOL.md's mutual TLS example uses them,
// and returns the platform's certificate.
func writeClientPKI(t *testing.T, dir string) tls.Certificate {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Sở TT&TT — CA máy khách"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caT, caT, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafT := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Cổng dữ liệu tỉnh"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafT, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	for name, data := range map[string][]byte{"clients-ca.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		"platform.crt": certPEM, "platform.key": keyPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

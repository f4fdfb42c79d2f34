package workflow

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/queue"
)

// A first run (the window's first start, `sohoa check`) checks what the workstation needs
// from the machine and says, for each missing part, the one command that installs it.

// Check is one thing the workstation needs from the machine.
type Check struct {
	Name   string // "tesseract", "lang.vie", "lang.eng", "lang.osd", "fonts", "scanners"
	OK     bool
	Detail string // what was found: a version, a folder, the scanners' names (no personal value)
	// Fix is the one command that installs what is missing ("" when OK, or when nothing
	// installs it: no scanner connected is not a package to install).
	Fix string
	// Optional checks do not stop any step (no scanner: import files instead).
	Optional bool
}

// Message is the check's sentence in lang: what is there or what is missing.
func (c Check) Message(lang string) string {
	state := "missing"
	if c.OK {
		state = "ok"
	}
	return l10n.T(lang, "workflow.check."+c.Name+"."+state, l10n.Args{"Detail": c.Detail})
}

// tessdataDirs are where Debian's tesseract-ocr-* packages put their language data.
var tessdataDirs = []string{"/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata", "/usr/share/tessdata"}

// CheckSystem checks Tesseract, its language data (vie, eng, osd), the fonts of the sample
// documents and, when scanners is not nil, the scanners it finds (SANE; eSCL when discovery
// is on: the faces switch it on for the first run and `sohoa check`). It never fails: each check says what it found.
func CheckSystem(ctx context.Context, scanners *Scanners) []Check {
	var out []Check
	out = append(out, Check{Name: "tesseract", OK: true, Detail: ocr.EngineVersion()})
	dirs := tessdataDirs
	if d := os.Getenv("TESSDATA_PREFIX"); d != "" {
		dirs = []string{d}
	}
	for _, lang := range []string{"vie", "eng", "osd"} {
		c := Check{Name: "lang." + lang, Fix: "sudo apt install tesseract-ocr-" + lang}
		for _, d := range dirs {
			if fi, err := os.Stat(filepath.Join(d, lang+".traineddata")); err == nil && fi.Size() > 0 {
				c.OK, c.Detail, c.Fix = true, d, ""
				break
			}
		}
		if !c.OK {
			c.Detail = strings.Join(dirs, ", ")
		}
		out = append(out, c)
	}
	fonts := Check{Name: "fonts", OK: docgen.CheckFonts() == nil, Fix: "sudo apt install fonts-noto-core", Optional: true}
	if fonts.OK {
		fonts.Fix = ""
	}
	out = append(out, fonts)
	if scanners != nil {
		devs, _ := scanners.Devices(ctx)
		c := Check{Name: "scanners", OK: len(devs) > 0, Optional: true}
		names := make([]string, 0, len(devs))
		for _, d := range devs {
			names = append(names, d.ID)
		}
		c.Detail = strings.Join(names, ", ")
		out = append(out, c)
	}
	return out
}

// SampleDocuments is how many documents a sample batch has: enough to try every step (keying,
// review with a sample, signing) and few enough for the OCR of a first run to end in a minute.
const SampleDocuments = 6

// WriteSample writes n synthetic scanned Vietnamese documents (docgen: birth and marriage
// certificates, residence records, business registrations, with moderate scan damage and
// their ground truth beside them) into dir: the project's own generator, shipped in the
// binary, for a new user to try the steps on. The same seed gives the same documents.
func WriteSample(dir string, seed int64, n int) (docs, pages int, err error) {
	return writeSample(dir, seed, n, "png")
}

func writeSample(dir string, seed int64, n int, format string) (docs, pages int, err error) {
	if err := docgen.CheckFonts(); err != nil {
		return 0, 0, ErrSampleFonts
	}
	set, err := docgen.WriteSet(dir, seed, n, docgen.Options{Format: format})
	if err != nil {
		return 0, 0, err
	}
	for _, d := range set {
		pages += len(d.Pages)
	}
	return len(set), pages, nil
}

// ErrSampleFonts: the sample documents cannot be drawn without their fonts.
var ErrSampleFonts = l10n.New("workflow.sample.fonts")

// SampleBatch makes a batch of sample documents (WriteSample) and imports them: a new user
// tries capture's result, OCR, keying, review and signing on it. The generated files are
// removed once imported; the batch is an ordinary one, of the workstation's office.
func (w *Workflow) SampleBatch(ctx context.Context, actor queue.User, name string, progress Progress) (queue.Batch, ImportResult, error) {
	for _, a := range []queue.Action{queue.ActionCreateBatch, queue.ActionCapture} {
		if err := queue.Require(actor, a); err != nil {
			return queue.Batch{}, ImportResult{}, err
		}
	}
	tmp, err := os.MkdirTemp("", "sohoa-sample-")
	if err != nil {
		return queue.Batch{}, ImportResult{}, err
	}
	defer os.RemoveAll(tmp)
	progress.Report(Event{Op: "sample", Step: "generate", Total: SampleDocuments})
	// JPEG pages (as most scanners send): a tenth of the PNGs' size in the store.
	if _, _, err := writeSample(tmp, time.Now().UnixNano()%1000, SampleDocuments, "jpeg"); err != nil {
		return queue.Batch{}, ImportResult{}, err
	}
	files, err := filepath.Glob(filepath.Join(tmp, "doc-*.*"))
	if err != nil {
		return queue.Batch{}, ImportResult{}, err
	}
	var images []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".json") {
			images = append(images, f)
		}
	}
	b, err := w.Store.CreateBatch(ctx, actor, queue.BatchSpec{Name: name, RecordType: "generic"})
	if err != nil {
		return queue.Batch{}, ImportResult{}, err
	}
	res, err := w.Import(ctx, actor, ImportInput{Batch: b.ID, Paths: images}, progress)
	return b, res, err
}

// UntrustedServerError: the central server's TLS certificate is not signed by an authority
// this machine trusts (a self-signed certificate, as sohoa-central makes on first start).
// Fingerprint is the SHA-256 the server presented: the person enrolling compares it with the
// one the server's administrator reads from `sohoa-central status`, then enrolls again with
// it (EnrollInput.Fingerprint; `sohoa enroll --fingerprint`), which pins it.
type UntrustedServerError struct {
	Fingerprint string
	Err         error
}

func (e *UntrustedServerError) Error() string {
	return l10n.Both("workflow.untrustedServer", l10n.Args{"SHA": e.Fingerprint})
}

// Localize is the message in lang.
func (e *UntrustedServerError) Localize(lang string) string {
	return l10n.T(lang, "workflow.untrustedServer", l10n.Args{"SHA": e.Fingerprint})
}

func (e *UntrustedServerError) Unwrap() error { return e.Err }

// untrusted turns a TLS "unknown authority" failure of an enrollment without a fingerprint
// into an UntrustedServerError carrying the certificate's SHA-256; other errors pass.
func untrusted(ctx context.Context, server string, err error) error {
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &ua) {
		return err // expired, wrong host name: not a question of trust on first use
	}
	// Read the leaf the server presents (what the client pins), not a chain's other member.
	if fp, perr := ServerFingerprint(ctx, server); perr == nil {
		return &UntrustedServerError{Fingerprint: fp, Err: err}
	}
	if ua.Cert == nil {
		return err
	}
	sum := sha256.Sum256(ua.Cert.Raw)
	return &UntrustedServerError{Fingerprint: hex.EncodeToString(sum[:]), Err: err}
}

// ServerFingerprint connects to an https:// server and returns the hex SHA-256 of the TLS
// certificate it presents, without trusting it: only to show it to a person who compares it
// with the administrator's (`sohoa-central status`). Nothing is sent.
func ServerFingerprint(ctx context.Context, server string) (string, error) {
	if err := ValidServerURL(server); err != nil {
		return "", err
	}
	u, err := url.Parse(strings.TrimSpace(server))
	if err != nil {
		return "", ErrServerURL
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "443")
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}} //nolint:gosec // read, never trusted
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", errors.New("no certificate")
	}
	sum := sha256.Sum256(certs[0].Raw)
	return hex.EncodeToString(sum[:]), nil
}

// Package synctest makes what the sync tests need, for real: a small signing PKI (root →
// signer) and signed batches in a real local queue store (documents with page images, signed
// through the workflow as a supervisor signs them: PAdES signed PDFs, a CMS-signed manifest,
// the outbox entry).
package synctest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"image"
	"image/png"
	"math/big"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/sohoa/sohoa/internal/archive"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/workflow"
)

// PKI is a root CA and one signer certificate issued by it.
type PKI struct {
	Root    *x509.Certificate
	RootPEM []byte
	Signer  sign.Signer
}

var serial = time.Now().UnixNano()

// NewPKI makes a root CA and a signer (ECDSA P-256) named signerName.
func NewPKI(signerName string) (*PKI, error) {
	rk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	serial++
	rootT := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "SoHoa Sync Test Root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(48 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, rootT, rootT, rk.Public(), rk)
	if err != nil {
		return nil, err
	}
	root, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	sk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial++
	leafT := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: signerName, Country: []string{"VN"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(48 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}
	lder, err := x509.CreateCertificate(rand.Reader, leafT, root, sk.Public(), rk)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(lder)
	if err != nil {
		return nil, err
	}
	s, err := sign.NewSigner(sk, []*x509.Certificate{leaf})
	if err != nil {
		return nil, err
	}
	return &PKI{Root: root, RootPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), Signer: s}, nil
}

// Roots is a pool holding the root.
func (p *PKI) Roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.Root)
	return pool
}

// WriteRoot writes the root certificate as PEM into dir and returns the file's path.
func (p *PKI) WriteRoot(dir string) (string, error) {
	path := filepath.Join(dir, "trust-root.pem")
	return path, os.WriteFile(path, p.RootPEM, 0o600)
}

// Password is the password of every user NewWorkstation creates.
const Password = "mật-khẩu-đồng-bộ"

// Workstation is a local queue store with three users: "admin" (all roles), "clerk" (captures
// and submits) and "sup" (a supervisor who approves and signs and never keyed: four eyes).
type Workstation struct {
	Store                    *queue.Store
	Admin, Clerk, Supervisor queue.User

	wf *workflow.Workflow
}

// workflow is the workflow over the workstation's store.
func (w *Workstation) workflow() (*workflow.Workflow, error) {
	if w.wf == nil || w.wf.Store != w.Store {
		wf, err := workflow.New(w.Store)
		if err != nil {
			return nil, err
		}
		w.wf = wf
	}
	return w.wf, nil
}

// p12Password protects the .p12 files writeP12 makes.
const p12Password = "mật-khẩu-p12-thử"

// writeP12 writes the signer's key and chain as a PKCS#12 file in a new temporary folder.
func (p *PKI) writeP12() (string, error) {
	data, err := pkcs12.Modern.Encode(p.Signer.Key, p.Signer.Chain[0], p.Signer.Chain[1:], p12Password)
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "synctest-p12-")
	if err != nil {
		return "", err
	}
	f := filepath.Join(dir, "ky-so.p12")
	if err := os.WriteFile(f, data, 0o600); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return f, nil
}

// NewWorkstation opens a queue store in dir and creates its users.
func NewWorkstation(ctx context.Context, dir string) (*Workstation, error) {
	st, err := queue.Open(dir)
	if err != nil {
		return nil, err
	}
	w := &Workstation{Store: st}
	if w.Admin, err = st.CreateUser(ctx, nil, "admin", "Quản Trị Đồng Bộ", Password,
		[]queue.Role{queue.RoleAdmin, queue.RoleClerk, queue.RoleSupervisor}); err == nil {
		if w.Clerk, err = st.CreateUser(ctx, &w.Admin, "clerk", "Nhân Viên Nhập", Password, []queue.Role{queue.RoleClerk}); err == nil {
			w.Supervisor, err = st.CreateUser(ctx, &w.Admin, "sup", "Người Duyệt", Password, []queue.Role{queue.RoleSupervisor})
		}
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	return w, nil
}

// PageImage is a small grey PNG whose pixels come from rng (so every page is a distinct blob).
func PageImage(rng *mrand.Rand, w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.IntN(256))
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// BatchSpec says how big a test batch is.
type BatchSpec struct {
	Office       string // must be the office the workstation enrolls in
	Documents    int    // 1 when 0
	Pages        int    // pages per document; 1 when 0
	ImageSize    int    // page width and height in pixels; 32 when 0
	SharedPageAt int    // when > 0, document 2 repeats page 1 of document 1 (a shared blob)

	RecordType string                         // the batch's record type; "generic" when ""
	Fields     func(d int) []queue.FieldValue // when set, the keyed values of document d (0-based)
	Archive    *archive.File                  // when set, the batch is an archive file with this data
	DocArchive func(d int) archive.Document   // when set, document d's archive data
}

// SignedBatch creates a batch (as the clerk), adds documents of random page images, moves it to
// approved (as the supervisor), binds pki's signer to the supervisor and signs the batch as
// the supervisor through the workflow (workflow.SignBatch: one PAdES-signed PDF per document
// and the CMS-signed manifest naming st's workstation id). It returns the batch id.
func (w *Workstation) SignedBatch(ctx context.Context, pki *PKI, spec BatchSpec, rng *mrand.Rand) (string, error) {
	id, err := w.ApprovedBatch(ctx, spec, rng)
	if err != nil {
		return "", err
	}
	st, actor := w.Store, w.Supervisor
	// The signer's key is bound to the supervisor (the approver signs with their own key).
	if _, err := st.AddUserCert(ctx, w.Admin, actor.Username, pki.Signer.Chain[0]); err != nil {
		return "", err
	}
	// Signed as the sign screen and `sohoa sign` do: through the workflow, from a .p12 file.
	p12, err := pki.writeP12()
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(filepath.Dir(p12))
	wf, err := w.workflow()
	if err != nil {
		return "", err
	}
	_, err = wf.SignBatch(ctx, actor, workflow.SignInput{BatchID: id, Source: workflow.SignerSource{P12File: p12},
		PIN: func(context.Context, workflow.PINRequest) (string, error) { return p12Password, nil }}, nil)
	if err != nil {
		return "", fmt.Errorf("sign batch: %w", err)
	}
	return id, nil
}

// ApprovedBatch creates a batch (as the clerk) of documents of random page images and moves
// it to approved (as the supervisor, who keyed nothing: four eyes). It returns the batch id.
func (w *Workstation) ApprovedBatch(ctx context.Context, spec BatchSpec, rng *mrand.Rand) (string, error) {
	st, actor := w.Store, w.Clerk
	if spec.Documents == 0 {
		spec.Documents = 1
	}
	if spec.Pages == 0 {
		spec.Pages = 1
	}
	if spec.ImageSize == 0 {
		spec.ImageSize = 32
	}
	b, err := st.CreateBatch(ctx, actor, queue.BatchSpec{Name: "lô thử đồng bộ", Office: spec.Office, RecordType: spec.RecordType})
	if err != nil {
		return "", err
	}
	if spec.Archive != nil {
		if err := st.SetBatchArchive(ctx, actor, b.ID, *spec.Archive); err != nil {
			return "", err
		}
	}
	var first []byte
	for d := 0; d < spec.Documents; d++ {
		var in []queue.PageInput
		for p := 0; p < spec.Pages; p++ {
			img := PageImage(rng, spec.ImageSize, spec.ImageSize)
			if d == 1 && p == 0 && spec.SharedPageAt > 0 && first != nil {
				img = first
			}
			if first == nil {
				first = img
			}
			in = append(in, queue.PageInput{Data: img, Format: "png", Width: spec.ImageSize, Height: spec.ImageSize, DPI: 300})
		}
		doc, _, err := st.AddDocument(ctx, actor, queue.NewDocument{BatchID: b.ID, Origin: "synctest", Pages: in})
		if err != nil {
			return "", err
		}
		if spec.Fields != nil {
			if err := st.SetFields(ctx, actor, doc.ID, spec.Fields(d)); err != nil {
				return "", err
			}
		}
		if spec.DocArchive != nil {
			if err := st.SetDocumentArchive(ctx, actor, doc.ID, spec.DocArchive(d)); err != nil {
				return "", err
			}
		}
	}
	for _, to := range []queue.State{queue.StateKeying, queue.StateReview} {
		if err := st.Transition(ctx, actor, b.ID, to, ""); err != nil {
			return "", err
		}
	}
	if err := st.Transition(ctx, w.Supervisor, b.ID, queue.StateApproved, ""); err != nil {
		return "", err
	}
	return b.ID, nil
}

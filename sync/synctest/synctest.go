// Package synctest makes what the sync tests need, for real: a small signing PKI (root →
// signer) and signed batches in a real local queue store (documents with page images, PAdES
// signed PDFs built by sign.BuildPDF, a CMS-signed manifest, the outbox entry).
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
	"strconv"
	"time"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/sync/wire"
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
}

// SignedBatch creates a batch (as the clerk), adds documents of random page images, moves it to
// approved (as the supervisor), builds and PAdES-signs one PDF per document and marks the batch signed with a
// CMS-signed manifest (sign.SignManifest) naming st's workstation id. It returns the batch id.
func (w *Workstation) SignedBatch(ctx context.Context, pki *PKI, spec BatchSpec, rng *mrand.Rand) (string, error) {
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
	wsID, err := st.WorkstationID(ctx)
	if err != nil {
		return "", err
	}
	b, err := st.CreateBatch(ctx, actor, queue.BatchSpec{Name: "lô thử đồng bộ", Office: spec.Office})
	if err != nil {
		return "", err
	}
	type docImages struct {
		doc    queue.Document
		images [][]byte
		pages  []queue.Page
	}
	var docs []docImages
	var first []byte
	for d := 0; d < spec.Documents; d++ {
		var in []queue.PageInput
		var imgs [][]byte
		for p := 0; p < spec.Pages; p++ {
			img := PageImage(rng, spec.ImageSize, spec.ImageSize)
			if d == 1 && p == 0 && spec.SharedPageAt > 0 && first != nil {
				img = first
			}
			if first == nil {
				first = img
			}
			imgs = append(imgs, img)
			in = append(in, queue.PageInput{Data: img, Format: "png", Width: spec.ImageSize, Height: spec.ImageSize, DPI: 300})
		}
		doc, pages, err := st.AddDocument(ctx, actor, queue.NewDocument{BatchID: b.ID, Origin: "synctest", Pages: in})
		if err != nil {
			return "", err
		}
		docs = append(docs, docImages{doc, imgs, pages})
	}
	for _, to := range []queue.State{queue.StateKeying, queue.StateReview} {
		if err := st.Transition(ctx, actor, b.ID, to, ""); err != nil {
			return "", err
		}
	}
	actor = w.Supervisor
	if err := st.Transition(ctx, actor, b.ID, queue.StateApproved, ""); err != nil {
		return "", err
	}
	var signed []queue.SignedDocument
	var wdocs []wire.Document
	for _, d := range docs {
		var pin []sign.PageInput
		var wpages []wire.Page
		for i, img := range d.images {
			pin = append(pin, sign.PageInput{Image: img, DPI: 300})
			wpages = append(wpages, wire.Page{SHA256: d.pages[i].Blob, Size: int64(len(img))})
		}
		pdf, err := sign.BuildPDF(sign.DocumentInput{Title: "Hồ sơ thử " + strconv.Itoa(d.doc.Seq), Pages: pin, Created: time.Now()})
		if err != nil {
			return "", fmt.Errorf("build PDF: %w", err)
		}
		spdf, err := sign.Sign(pdf, pki.Signer, sign.SignInfo{Name: "Người Ký Thử", Reason: "Phê duyệt"})
		if err != nil {
			return "", fmt.Errorf("sign PDF: %w", err)
		}
		h, err := st.Blobs.Put(spdf)
		if err != nil {
			return "", err
		}
		signed = append(signed, queue.SignedDocument{DocumentID: d.doc.ID, PDFSHA256: h, PDFSize: int64(len(spdf)), Signer: "Người Ký Thử"})
		wdocs = append(wdocs, wire.Document{ID: strconv.FormatInt(d.doc.ID, 10), PDFSHA256: h, PDFSize: int64(len(spdf)), Pages: wpages})
	}
	// The signer's key is bound to the supervisor (the approver signs with their own key).
	if _, err := st.AddUserCert(ctx, w.Admin, actor.Username, pki.Signer.Chain[0]); err != nil {
		return "", err
	}
	err = st.MarkSigned(ctx, actor, b.ID, queue.SigningKey{Cert: pki.Signer.Chain[0]}, signed, func(seq int64) ([]byte, error) {
		m := &wire.Manifest{Version: wire.Version, BatchID: b.ID, WorkstationID: wsID, Office: spec.Office, Seq: seq,
			RecordType: b.RecordType, CreatedAt: time.Now().UTC().Truncate(time.Second), Documents: wdocs}
		return sign.SignManifest(m, pki.Signer)
	})
	if err != nil {
		return "", err
	}
	return b.ID, nil
}

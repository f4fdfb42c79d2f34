package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/wire"
)

// Phase is where a batch is.
type Phase string

// Phases reported to Progress.
const (
	PhaseManifest Phase = "manifest"
	PhaseUpload   Phase = "upload"
	PhaseCommit   Phase = "commit"
	PhaseDone     Phase = "done"
	PhaseHeld     Phase = "held"
	PhaseRetry    Phase = "retry"
)

// Progress is one report. Bytes count the batch's blobs: those the server already held count
// as done; BytesSent is what this attempt actually sent.
type Progress struct {
	BatchID, BatchName    string
	Seq                   int64
	Phase                 Phase
	BlobsDone, BlobsTotal int
	BytesDone, BytesTotal int64
	BytesSent             int64
	Batches, BatchesDone  int // this pass, overall
	Err                   string
	NextAttempt           time.Time
	Receipt               *wire.Receipt
}

type overall struct{ total, done int }

func (c *Client) report(p Progress) {
	if c.Progress != nil {
		c.Progress(p)
	}
}

// Send uploads one outbox entry: PUT manifest → missing blobs → commit → receipt verified and
// stored with the batch marked synced. Every step is repeatable; a killed Send is redone from
// the manifest. ov may be nil.
func (c *Client) Send(ctx context.Context, e queue.OutboxEntry, ov *overall) (wire.Receipt, error) {
	if ov == nil {
		ov = &overall{total: 1}
	}
	raw, seq, err := c.Store.BatchManifest(ctx, e.BatchID)
	if err != nil {
		return wire.Receipt{}, err
	}
	m, _, err := wire.DecodeManifest(bytes.NewReader(raw))
	if err != nil {
		return wire.Receipt{}, &localError{"stored manifest: " + err.Error()}
	}
	if m.BatchID != e.BatchID || m.Seq != seq {
		return wire.Receipt{}, &localError{"stored manifest names another batch or sequence"}
	}
	msum := sha256.Sum256(raw)
	sizes := map[string]int64{}
	for _, d := range m.Documents {
		sizes[d.PDFSHA256] = d.PDFSize
		for _, p := range d.Pages {
			sizes[p.SHA256] = p.Size
		}
	}
	p := Progress{BatchID: e.BatchID, BatchName: e.BatchName, Seq: seq, Phase: PhaseManifest, BlobsTotal: len(sizes),
		Batches: ov.total, BatchesDone: ov.done}
	for _, n := range sizes {
		p.BytesTotal += n
	}
	c.report(p)

	path := "/v1/batches/" + e.BatchID
	putManifest := func() (wire.ManifestAnswer, error) {
		var ans wire.ManifestAnswer
		body, size := jsonBody(raw)
		a, err := c.do(ctx, request{method: http.MethodPut, path: path, body: body, size: size, auth: true,
			header: map[string]string{"Content-Type": "application/json"}})
		if err != nil {
			return ans, err
		}
		if err := json.Unmarshal(a.body, &ans); err != nil {
			return ans, fmt.Errorf("manifest answer: %w", err)
		}
		return ans, nil
	}
	ans, err := putManifest()
	if err != nil {
		return wire.Receipt{}, err
	}
	upload := func(missing []string) error {
		held := len(sizes) - len(missing)
		p.Phase, p.BlobsDone, p.BytesDone = PhaseUpload, held, p.BytesTotal
		for _, h := range missing {
			p.BytesDone -= sizes[h]
		}
		c.report(p)
		for i, h := range missing {
			if _, ok := sizes[h]; !ok {
				return fmt.Errorf("server asks for blob %s the manifest does not name", h[:12])
			}
			// Blobs go in manifest order, so a blob cut off in an earlier run is the first one
			// still missing: ask the server whether it holds part of it (i == 0).
			if err := c.uploadBlob(ctx, h, &p, i == 0); err != nil {
				return err
			}
			p.BlobsDone++
			c.report(p)
		}
		return nil
	}
	if !ans.Committed {
		if err := upload(ans.Missing); err != nil {
			return wire.Receipt{}, err
		}
	}
	var signed []byte
	for round := 0; ; round++ {
		p.Phase = PhaseCommit
		c.report(p)
		a, err := c.do(ctx, request{method: http.MethodPost, path: path + "/commit", body: http.NoBody, auth: true})
		if err == nil {
			signed = a.body
			break
		}
		var se *ServerError
		if round >= 3 || !errors.As(err, &se) {
			return wire.Receipt{}, err
		}
		switch se.Wire.Code {
		case wire.CodeMissingBlobs: // the server lost or never got some: send them
			if err := upload(se.Wire.Missing); err != nil {
				return wire.Receipt{}, err
			}
		case "batch_unknown": // the server lost the pending manifest
			if _, err := putManifest(); err != nil {
				return wire.Receipt{}, err
			}
		default:
			return wire.Receipt{}, err
		}
	}
	rec, err := wire.VerifyReceipt(c.ReceiptKey, signed)
	if err != nil {
		return wire.Receipt{}, fmt.Errorf("%w: %v", ErrReceiptKey, err)
	}
	if rec.BatchID != e.BatchID || rec.ManifestSHA256 != hex.EncodeToString(msum[:]) || rec.Seq != seq ||
		rec.WorkstationID != m.WorkstationID || rec.Documents != len(m.Documents) || rec.Blobs != len(sizes) {
		return wire.Receipt{}, &localError{"the server's receipt does not match the manifest that was signed"}
	}
	if err := c.Store.OutboxComplete(ctx, c.Actor, e.BatchID, signed); err != nil {
		return wire.Receipt{}, err
	}
	p.Phase, p.Receipt, p.BlobsDone, p.BytesDone = PhaseDone, &rec, p.BlobsTotal, p.BytesTotal
	p.BatchesDone = ov.done + 1
	c.report(p)
	return rec, nil
}

// uploadBlob sends one blob from the local blob store: in one PUT, or in resumable chunks
// when it is large (asking the server first how much it already holds). With probe a small
// blob too is asked about first, and if the server holds a prefix of it (a PUT of it was cut
// off) only the rest is sent, in one ranged PUT.
func (c *Client) uploadBlob(ctx context.Context, h string, p *Progress, probe bool) error {
	f, size, err := c.Store.Blobs.OpenBlob(h)
	if err != nil {
		return &localError{fmt.Sprintf("blob %s: %v", h[:12], err)}
	}
	defer f.Close()
	tick := func(n int64) { p.BytesDone += n; p.BytesSent += n }
	start := p.BytesDone
	threshold, chunk := c.ChunkThreshold, c.ChunkSize
	if threshold <= 0 {
		threshold = DefaultChunkThreshold
	}
	if chunk <= 0 {
		chunk = DefaultChunkSize
	}
	path := "/v1/blobs/" + h
	small := size <= threshold
	whole := func() error {
		_, err := c.do(ctx, request{method: http.MethodPut, path: path, body: io.NewSectionReader(f, 0, size), size: size,
			auth: true, tick: tick, header: map[string]string{"Content-Type": "application/octet-stream"}})
		p.BytesDone = start + size
		return c.blobErr(h, err)
	}
	if small && !probe {
		return whole()
	}
	a, err := c.do(ctx, request{method: http.MethodHead, path: path, auth: true})
	if err != nil {
		return err
	}
	var off int64
	if a.status == 404 {
		if o, err := strconv.ParseInt(a.header.Get("Upload-Offset"), 10, 64); err == nil && o >= 0 && o <= size {
			off = o
		}
	} else {
		p.BytesDone = start + size
		return nil
	}
	if small {
		if off == 0 {
			return whole()
		}
		chunk = size // the rest in one ranged PUT
	}
	if off >= size && size > 0 {
		// The server holds every byte but did not finish the blob (it stopped in between):
		// sending the last byte again makes it finish.
		off = size - 1
	}
	p.BytesDone = start + off
	for off < size {
		end := min(off+chunk, size)
		_, err := c.do(ctx, request{method: http.MethodPut, path: path, body: io.NewSectionReader(f, off, end-off), size: end - off,
			auth: true, tick: tick, header: map[string]string{"Content-Type": "application/octet-stream",
				"Content-Range": fmt.Sprintf("bytes %d-%d/%d", off, end-1, size)}})
		var se *ServerError
		if errors.As(err, &se) && se.Wire.Code == wire.CodeUploadOffset && se.Offset >= 0 && se.Offset <= size {
			off = se.Offset // resume where the server is
			p.BytesDone = start + off
			continue
		}
		if err != nil {
			return c.blobErr(h, err)
		}
		off = end
		p.BytesDone = start + off
	}
	return nil
}

// blobErr turns the server's hash_mismatch into a local fault when the local copy is bad (a
// transfer fault otherwise, to be retried).
func (c *Client) blobErr(h string, err error) error {
	var se *ServerError
	if !errors.As(err, &se) || se.Wire.Code != "hash_mismatch" {
		return err
	}
	if verr := c.Store.Blobs.Verify(h); verr != nil {
		return &localError{fmt.Sprintf("blob %s: %v", h[:12], verr)}
	}
	return fmt.Errorf("blob %s damaged in transit: %w", h[:12], errTransit)
}

var errTransit = errors.New("transfer damaged")

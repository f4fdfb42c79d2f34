package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sohoa/sohoa/internal/imgutil"
)

// RotatePage turns a page clockwise by deg (90, 180 or 270) at a clerk's request. The
// original stays as captured; the working image is replaced by the turned one at once (so
// the clerk sees it), the turn is remembered for clean-up, and the page goes back into the
// OCR queue because its words no longer fit. One transaction, one audit event.
func (s *Store) RotatePage(ctx context.Context, actor User, pageID int64, deg int) (Page, error) {
	deg = ((deg % 360) + 360) % 360
	if deg == 0 || deg%90 != 0 {
		return Page{}, fmt.Errorf("%w: rotate by 90, 180 or 270 degrees", ErrBadRotation)
	}
	p, err := s.Page(ctx, pageID)
	if err != nil {
		return Page{}, err
	}
	img, err := s.PageImage(p)
	if err != nil {
		return Page{}, err
	}
	turned, w, h, err := imgutil.RotateEncoded(img, deg)
	if err != nil {
		return Page{}, err
	}
	hash, err := s.Blobs.Put(turned)
	if err != nil {
		return Page{}, err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		var state string
		if err := tx.QueryRow(`SELECT b.state FROM batches b JOIN documents d ON d.batch_id = b.id JOIN pages p ON p.document_id = d.id WHERE p.id = ?`, pageID).Scan(&state); err != nil {
			return err
		}
		if !State(state).Editable() {
			return lockedError(State(state))
		}
		if _, err := tx.Exec(`UPDATE pages SET blob_sha256 = ?, format = 'png', width = ?, height = ?, user_rotation = (user_rotation + ?) % 360,
			ocr_state = 'pending', ocr_error = '', cleaned = 0 WHERE id = ?`, hash, w, h, deg, pageID); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM ocr_results WHERE page_id = ?`, pageID); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM search_fts WHERE page_id = ?`, pageID); err != nil {
			return err
		}
		return s.audit(tx, actor.Username, "page.rotate", fmt.Sprintf("page:%d", pageID), fmt.Sprintf("deg=%d", deg))
	})
	if err != nil {
		return Page{}, err
	}
	return s.Page(ctx, pageID)
}

// ErrBadRotation is returned for a rotation that is not a right angle.
var ErrBadRotation = errors.New("bad rotation")

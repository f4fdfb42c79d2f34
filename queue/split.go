package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Manual document editing for the capture screen: split a document in two, merge two
// neighbouring documents, reorder or delete a page. Each runs in one transaction with one
// audit event (IDs and counts only), and only while the batch is capturing or keying.
// Sequence numbers stay 1..n without gaps; a temporary negative shift keeps the
// UNIQUE(batch_id, seq) and UNIQUE(document_id, seq) constraints valid at every row.

// ErrBadEdit is returned for a split, merge or move that does not make sense (wrong page
// number, documents not neighbours, a document that would be left empty).
var ErrBadEdit = errors.New("thao tác không hợp lệ / edit not possible")

// docInfo is what the editing operations need to know about a document.
type docInfo struct {
	batchID string
	seq     int
	pages   int
}

// editablePage loads a page's document and position and checks that its batch may be edited.
func editablePage(tx *sql.Tx, pageID int64) (docID int64, seq int, d docInfo, err error) {
	err = tx.QueryRow(`SELECT document_id, seq FROM pages WHERE id = ?`, pageID).Scan(&docID, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, d, fmt.Errorf("page %d: %w", pageID, ErrNotFound)
	}
	if err != nil {
		return 0, 0, d, err
	}
	d, err = editableDoc(tx, docID)
	return docID, seq, d, err
}

// editableDoc loads a document and checks that its batch may be edited.
func editableDoc(tx *sql.Tx, docID int64) (docInfo, error) {
	var d docInfo
	var state string
	err := tx.QueryRow(`SELECT d.batch_id, d.seq, b.state, (SELECT count(*) FROM pages p WHERE p.document_id = d.id)
		FROM documents d JOIN batches b ON b.id = d.batch_id WHERE d.id = ?`, docID).Scan(&d.batchID, &d.seq, &state, &d.pages)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("document %d: %w", docID, ErrNotFound)
	}
	if err != nil {
		return d, err
	}
	if !State(state).Editable() {
		return d, lockedError(State(state))
	}
	return d, nil
}

// shiftDocs adds delta to the seq of the batch's documents with seq > after, through
// negative values so that no two rows share a seq at any moment.
func shiftDocs(tx *sql.Tx, batchID string, after, delta int) error {
	if _, err := tx.Exec(`UPDATE documents SET seq = -(seq + ?) WHERE batch_id = ? AND seq > ?`, delta, batchID, after); err != nil {
		return err
	}
	_, err := tx.Exec(`UPDATE documents SET seq = -seq WHERE batch_id = ? AND seq < 0`, batchID)
	return err
}

// shiftPages adds delta to the seq of the document's pages with lo <= seq <= hi.
func shiftPages(tx *sql.Tx, docID int64, lo, hi, delta int) error {
	if _, err := tx.Exec(`UPDATE pages SET seq = -(seq + ?) WHERE document_id = ? AND seq BETWEEN ? AND ?`, delta, docID, lo, hi); err != nil {
		return err
	}
	_, err := tx.Exec(`UPDATE pages SET seq = -seq WHERE document_id = ? AND seq < 0`, docID)
	return err
}

// SplitDocument moves the pages from atPageSeq on into a new document placed right after
// docID; the documents after it move down by one. Field values stay with docID. atPageSeq
// must be 2..pages so that neither document is empty.
func (s *Store) SplitDocument(ctx context.Context, actor User, docID int64, atPageSeq int) (newDocID int64, err error) {
	err = s.write(ctx, func(tx *sql.Tx) error {
		d, err := editableDoc(tx, docID)
		if err != nil {
			return err
		}
		if atPageSeq < 2 || atPageSeq > d.pages {
			return fmt.Errorf("%w: split at page %d of a %d-page document (2..%d)", ErrBadEdit, atPageSeq, d.pages, d.pages)
		}
		if err := shiftDocs(tx, d.batchID, d.seq, 1); err != nil {
			return err
		}
		res, err := tx.Exec(`INSERT INTO documents(batch_id, seq, origin, source_sha256, created_by, created_at)
			SELECT batch_id, ?, origin, NULL, ?, ? FROM documents WHERE id = ?`, d.seq+1, actor.ID, s.stamp(), docID)
		if err != nil {
			return err
		}
		newDocID, _ = res.LastInsertId()
		// The new document is empty: the moved pages take seq 1.. directly.
		if _, err := tx.Exec(`UPDATE pages SET document_id = ?, seq = seq - ? WHERE document_id = ? AND seq >= ?`,
			newDocID, atPageSeq-1, docID, atPageSeq); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE search_fts SET document_id = ? WHERE page_id IN (SELECT id FROM pages WHERE document_id = ?)`,
			newDocID, newDocID); err != nil {
			return err
		}
		return s.audit(tx, actor.Username, "document.split", fmt.Sprintf("document:%d", docID),
			fmt.Sprintf("new=document:%d at_page=%d moved=%d", newDocID, atPageSeq, d.pages-atPageSeq+1))
	})
	if err != nil {
		return 0, err
	}
	return newDocID, nil
}

// MergeDocuments appends the pages of secondID to firstID and removes secondID. The two
// must be neighbours in the same batch, firstID first. Field values of secondID move to
// firstID: a key firstID already has keeps firstID's value, and secondID's becomes history.
func (s *Store) MergeDocuments(ctx context.Context, actor User, firstID, secondID int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if firstID == secondID {
			return fmt.Errorf("%w: a document cannot be merged with itself", ErrBadEdit)
		}
		a, err := editableDoc(tx, firstID)
		if err != nil {
			return err
		}
		b, err := editableDoc(tx, secondID)
		if err != nil {
			return err
		}
		if a.batchID != b.batchID || b.seq != a.seq+1 {
			return fmt.Errorf("%w: only a document and the one right after it in the same batch can be merged", ErrBadEdit)
		}
		var last int
		if err := tx.QueryRow(`SELECT coalesce(max(seq), 0) FROM pages WHERE document_id = ?`, firstID).Scan(&last); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE pages SET document_id = ?, seq = seq + ? WHERE document_id = ?`, firstID, last, secondID); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE field_values SET current = 0 WHERE document_id = ? AND current = 1
			AND key IN (SELECT key FROM field_values WHERE document_id = ? AND current = 1)`, secondID, firstID); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE field_values SET document_id = ? WHERE document_id = ?`, firstID, secondID); err != nil {
			return err
		}
		// Search rows: page text follows its pages; field rows are rebuilt from the current values.
		if _, err := tx.Exec(`UPDATE search_fts SET document_id = ? WHERE document_id = ? AND page_id != 0`, firstID, secondID); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM search_fts WHERE document_id IN (?, ?) AND page_id = 0`, firstID, secondID); err != nil {
			return err
		}
		rows, err := tx.Query(`SELECT key, unseal('field_values.value', value) FROM field_values WHERE document_id = ? AND current = 1`, firstID)
		if err != nil {
			return err
		}
		var kv [][2]string
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return err
			}
			kv = append(kv, [2]string{k, v})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, f := range kv {
			body, err := s.ftsBody(f[1])
			if err != nil {
				return err
			}
			if _, err := tx.Exec(`INSERT INTO search_fts(body, document_id, page_id, field) VALUES (?,?,0,?)`, body, firstID, f[0]); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(`DELETE FROM documents WHERE id = ?`, secondID); err != nil {
			return err
		}
		if err := shiftDocs(tx, a.batchID, b.seq, -1); err != nil {
			return err
		}
		return s.audit(tx, actor.Username, "document.merge", fmt.Sprintf("document:%d", firstID),
			fmt.Sprintf("merged=document:%d pages=%d", secondID, b.pages))
	})
}

// MovePage moves a page to position toSeq (1-based) within its document; the pages in
// between move by one.
func (s *Store) MovePage(ctx context.Context, actor User, pageID int64, toSeq int) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		docID, from, d, err := editablePage(tx, pageID)
		if err != nil {
			return err
		}
		if toSeq < 1 || toSeq > d.pages {
			return fmt.Errorf("%w: move to page %d of a %d-page document", ErrBadEdit, toSeq, d.pages)
		}
		if toSeq == from {
			return nil
		}
		if _, err := tx.Exec(`UPDATE pages SET seq = 0 WHERE id = ?`, pageID); err != nil {
			return err
		}
		if toSeq < from {
			err = shiftPages(tx, docID, toSeq, from-1, 1)
		} else {
			err = shiftPages(tx, docID, from+1, toSeq, -1)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE pages SET seq = ? WHERE id = ?`, toSeq, pageID); err != nil {
			return err
		}
		return s.audit(tx, actor.Username, "page.move", fmt.Sprintf("page:%d", pageID),
			fmt.Sprintf("document=%d from=%d to=%d", docID, from, toSeq))
	})
}

// DeletePage removes a page (a misfeed, a page scanned twice) from its document together
// with its OCR text and search rows; the pages after it move up. The image stays in the
// blob store (it may be shared, and blobs are never deleted by editing). The last page of
// a document cannot be deleted: merge or keep the document instead.
func (s *Store) DeletePage(ctx context.Context, actor User, pageID int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		docID, seq, d, err := editablePage(tx, pageID)
		if err != nil {
			return err
		}
		if d.pages < 2 {
			return fmt.Errorf("%w: the only page of a document cannot be deleted", ErrBadEdit)
		}
		if _, err := tx.Exec(`DELETE FROM search_fts WHERE page_id = ?`, pageID); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM ocr_results WHERE page_id = ?`, pageID); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM pages WHERE id = ?`, pageID); err != nil {
			return err
		}
		if err := shiftPages(tx, docID, seq+1, 1<<30, -1); err != nil {
			return err
		}
		return s.audit(tx, actor.Username, "page.delete", fmt.Sprintf("page:%d", pageID),
			fmt.Sprintf("document=%d seq=%d", docID, seq))
	})
}

// Package qpdfrecord reads the record.json a SoHoa PDF carries in its catalog's page-piece
// dictionary (/PieceInfo /SoHoa /Private, sign.RecordPiece) with qpdf, a third-party reader,
// for tests that check what another tool finds in SoHoa's output (poppler's pdfdetach did
// that while the record was an attachment; PDF/A-2b documents attach nothing).
//
// Nothing here is used outside tests.
package qpdfrecord

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os/exec"
)

// Read runs `qpdf --json=2` on the file at path and returns the decoded stream that the
// newest revision's /Root /PieceInfo /SoHoa /Private names.
func Read(path string) ([]byte, error) {
	out, err := exec.Command("qpdf", "--json=2", "--json-key=qpdf", "--json-stream-data=inline",
		"--decode-level=generalized", path).Output()
	if err != nil {
		return nil, fmt.Errorf("qpdf --json: %w", err)
	}
	var doc struct {
		QPDF []json.RawMessage `json:"qpdf"`
	}
	if err := json.Unmarshal(out, &doc); err != nil || len(doc.QPDF) != 2 {
		return nil, fmt.Errorf("qpdf JSON: %v", err)
	}
	var objs map[string]json.RawMessage
	if err := json.Unmarshal(doc.QPDF[1], &objs); err != nil {
		return nil, err
	}
	var trailer struct {
		Value struct {
			Root string `json:"/Root"`
		} `json:"value"`
	}
	if err := json.Unmarshal(objs["trailer"], &trailer); err != nil {
		return nil, err
	}
	var root struct {
		Value struct {
			PieceInfo map[string]struct {
				Private string `json:"/Private"`
			} `json:"/PieceInfo"`
		} `json:"value"`
	}
	if err := json.Unmarshal(objs["obj:"+trailer.Value.Root], &root); err != nil {
		return nil, err
	}
	ref := root.Value.PieceInfo["/SoHoa"].Private
	if ref == "" {
		return nil, fmt.Errorf("no /PieceInfo /SoHoa /Private in the catalog")
	}
	var st struct {
		Stream struct {
			Data string `json:"data"`
		} `json:"stream"`
	}
	if err := json.Unmarshal(objs["obj:"+ref], &st); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(st.Stream.Data)
}

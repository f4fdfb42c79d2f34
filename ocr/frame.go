package ocr

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Wire format between pool and worker, one message per direction per
// request:
//
//	uint32 big-endian header length, header (JSON),
//	uint32 big-endian body length,   body (raw image bytes, may be empty).
//
// Image bytes travel as they are; only the small header is JSON.
const (
	maxHeaderLen = 64 << 20  // a header holds the words of one page
	maxBodyLen   = 512 << 20 // one page image
)

var errFrameTooLarge = errors.New("ocr: frame too large")

func writeMsg(w *bufio.Writer, hdr any, body []byte) error {
	h, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	if len(h) > maxHeaderLen || len(body) > maxBodyLen {
		return errFrameTooLarge
	}
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(h)))
	w.Write(n[:])
	w.Write(h)
	binary.BigEndian.PutUint32(n[:], uint32(len(body)))
	w.Write(n[:])
	w.Write(body)
	return w.Flush()
}

// readMsg reads one message, decoding the header into hdr.
func readMsg(r io.Reader, hdr any) ([]byte, error) {
	h, err := readChunk(r, maxHeaderLen)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(h, hdr); err != nil {
		return nil, fmt.Errorf("ocr: bad frame header: %w", err)
	}
	return readChunk(r, maxBodyLen)
}

func readChunk(r io.Reader, limit int) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := int(binary.BigEndian.Uint32(n[:]))
	if size > limit {
		return nil, errFrameTooLarge
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

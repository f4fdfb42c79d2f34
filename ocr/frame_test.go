package ocr

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	body := bytes.Repeat([]byte{0, 1, 2, 0xff}, 1<<18) // 1 MiB, sent raw
	if err := writeMsg(w, request{Op: opZone, Whitelist: "0123", Zone: [4]int{1, 2, 3, 4}}, body); err != nil {
		t.Fatal(err)
	}
	if err := writeMsg(w, reply{Err: "x"}, nil); err != nil {
		t.Fatal(err)
	}
	if b.Len() > len(body)+200 {
		t.Errorf("frame of %d bytes for a %d-byte body: not raw", b.Len(), len(body))
	}
	var req request
	got, err := readMsg(&b, &req)
	if err != nil || !bytes.Equal(got, body) || req.Whitelist != "0123" || req.Zone != [4]int{1, 2, 3, 4} {
		t.Fatalf("read back %+v, %d bytes, %v", req, len(got), err)
	}
	var rep reply
	if got, err := readMsg(&b, &rep); err != nil || len(got) != 0 || rep.Err != "x" {
		t.Fatalf("second message %+v %v", rep, err)
	}
	if _, err := readMsg(&b, &rep); err != io.EOF {
		t.Errorf("at end: %v", err)
	}
	// A length beyond the limit is refused before allocating.
	huge := []byte{0xff, 0xff, 0xff, 0xff}
	if _, err := readMsg(bytes.NewReader(huge), &rep); !errors.Is(err, errFrameTooLarge) {
		t.Errorf("huge header: %v", err)
	}
}

func FuzzReadMsg(f *testing.F) {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	writeMsg(w, request{Op: opPage, PSM: 3}, []byte("\x89PNG"))
	f.Add(b.Bytes())
	f.Add([]byte{0, 0, 0, 2, '{', '}', 0, 0, 0, 0})
	f.Add([]byte{0, 0, 0, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		var req request
		body, err := readMsg(bytes.NewReader(data), &req)
		if err == nil && len(body) > len(data) {
			t.Fatalf("body of %d bytes from %d input bytes", len(body), len(data))
		}
	})
}

package separate

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

// FuzzSplitterNext feeds arbitrary bytes as page images: the splitter must return an error
// or a decision, never panic, and a dropped page never starts a document.
func FuzzSplitterNext(f *testing.F) {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 80, 80)))
	f.Add(b.Bytes())
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xe0})
	f.Fuzz(func(t *testing.T, data []byte) {
		sp := NewSplitter(Rule{Kind: KindQR})
		d, err := sp.Next(data)
		if err == nil && d.Drop && d.NewDocument {
			t.Fatalf("dropped page starts a document: %+v", d)
		}
	})
}

// FuzzCheckLabel: every label CheckLabel accepts is printed and read back unchanged.
func FuzzCheckLabel(f *testing.F) {
	f.Add("HS-2026-0001")
	f.Add("Hộp 7 · Sổ hộ tịch")
	f.Add("")
	f.Fuzz(func(t *testing.T, label string) {
		if CheckLabel(label) != nil {
			return
		}
		data, err := SeparatorSheetPNG(100, label)
		if err != nil {
			t.Fatalf("accepted label %q not printable: %v", label, err)
		}
		im, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := DetectSeparator(im); !ok || got != label {
			t.Fatalf("label %q read back as %q, %v", label, got, ok)
		}
	})
}

func BenchmarkDetectSeparatorDocumentPage(b *testing.B) {
	d := docs(b)
	im, err := decode(d[0][0])
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		DetectSeparator(im)
	}
}

func BenchmarkDetectSeparatorSheet(b *testing.B) {
	data, err := SeparatorSheetPNG(200, "HS-1")
	if err != nil {
		b.Fatal(err)
	}
	im, err := decode(data)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, ok := DetectSeparator(im); !ok {
			b.Fatal("not detected")
		}
	}
}

package cleanup

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sohoa/sohoa/internal/docgen"
)

func TestDefaultProfile(t *testing.T) {
	want := Profile{Deskew: true, AutoOrient: true, Blank: BlankFlag, CropBorders: true}
	if got := DefaultProfile(); got != want {
		t.Fatalf("DefaultProfile() = %+v, want %+v", got, want)
	}
}

// A clean upright page needs nothing: the input bytes come back.
func TestUnchangedAndFormats(t *testing.T) {
	_, imgs, err := docgen.Generate(3, 0, docgen.Options{DPI: 200, Clean: true})
	if err != nil {
		t.Fatal(err)
	}
	in := encodePNG(t, imgs[0])
	r, err := Process(context.Background(), in, DefaultProfile())
	if err != nil {
		t.Fatal(err)
	}
	if r.Changed || !bytes.Equal(r.Data, in) || r.Format != "png" || r.Rotation != 0 || !r.OrientDetected || r.Blank {
		t.Fatalf("clean page: changed %v same bytes %v format %q rotation %d detected %v blank %v skew %.3f",
			r.Changed, bytes.Equal(r.Data, in), r.Format, r.Rotation, r.OrientDetected, r.Blank, r.SkewDeg)
	}
	b := imgs[0].Bounds()
	if r.Width != b.Dx() || r.Height != b.Dy() {
		t.Errorf("size %dx%d, want %v", r.Width, r.Height, b.Size())
	}

	// JPEG in: unchanged stays the same JPEG; turned comes out as PNG.
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, imgs[0], &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	r, err = Process(context.Background(), jb.Bytes(), DefaultProfile())
	if err != nil || r.Changed || r.Format != "jpeg" || !bytes.Equal(r.Data, jb.Bytes()) {
		t.Fatalf("jpeg unchanged: changed %v format %q err %v", r.Changed, r.Format, err)
	}
	upside := rotatePNG(t, in, 180)
	r, err = Process(context.Background(), upside, Profile{AutoOrient: true, Binarize: true})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Changed || r.Format != "png" || r.Rotation != 180 {
		t.Fatalf("upside-down page: changed %v format %q rotation %d", r.Changed, r.Format, r.Rotation)
	}
	// Without binarization a changed grey or colour page is stored as JPEG, upright.
	rj, err := Process(context.Background(), upside, Profile{AutoOrient: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rj.Changed || rj.Format != "jpeg" || rj.Rotation != 180 {
		t.Fatalf("upside-down page, no binarization: changed %v format %q rotation %d", rj.Changed, rj.Format, rj.Rotation)
	}
	if jo, err := jpeg.Decode(bytes.NewReader(rj.Data)); err != nil || jo.Bounds().Size() != b.Size() {
		t.Fatalf("cleaned JPEG: %v, %v (want size %v)", err, jo, b.Size())
	}
	// Binarized output is a bilevel PNG of the page size, upright again.
	out, err := png.Decode(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatal(err)
	}
	if out.Bounds().Size() != b.Size() {
		t.Errorf("binarized size %v, want %v", out.Bounds().Size(), b.Size())
	}
	levels := map[uint32]bool{}
	for y := 0; y < b.Dy(); y += 7 {
		for x := 0; x < b.Dx(); x += 7 {
			v, _, _, _ := out.At(x, y).RGBA()
			levels[v] = true
		}
	}
	if len(levels) != 2 {
		t.Errorf("binarized output has %d gray levels, want 2", len(levels))
	}
	// Upright again: the turned-back image matches the original ink.
	g := toGray(imgs[0])
	agree, n := 0, 0
	for y := 0; y < b.Dy(); y += 3 {
		for x := 0; x < b.Dx(); x += 3 {
			ink := g.Pix[y*g.Stride+x] < 128
			r, _, _, _ := out.At(x, y).RGBA()
			if ink || r < 0x8000 {
				n++
				if ink == (r < 0x8000) {
					agree++
				}
			}
		}
	}
	if n == 0 || float64(agree)/float64(n) < 0.8 {
		t.Errorf("binarized page does not match the upright original: %d/%d ink pixels agree", agree, n)
	}
}

func TestBadInput(t *testing.T) {
	quietLeptonica() // libpng and leptonica would print every failure
	ctx := context.Background()
	_, imgs, err := docgen.Generate(3, 0, docgen.Options{DPI: 150, Clean: true})
	if err != nil {
		t.Fatal(err)
	}
	good := encodePNG(t, imgs[0])
	tiny := encodePNG(t, image.NewGray(image.Rect(0, 0, 8, 8)))
	// A PNG header declaring 40000 x 40000 pixels.
	resize := func(src []byte, w, h uint32) []byte {
		b := append([]byte(nil), src...)
		binary.BigEndian.PutUint32(b[16:], w)
		binary.BigEndian.PutUint32(b[20:], h)
		binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
		return b
	}
	huge := resize(good, 40000, 40000)
	cases := []struct {
		name string
		in   []byte
		p    Profile
		want error
	}{
		{"empty", nil, DefaultProfile(), ErrEmptyImage},
		{"text", []byte("hello, not an image"), DefaultProfile(), ErrBadImage},
		{"tiff", []byte("II*\x00\x08\x00\x00\x00"), DefaultProfile(), ErrBadImage},
		{"truncated png", good[:len(good)/2], DefaultProfile(), ErrBadImage},
		{"png header only", good[:40], DefaultProfile(), ErrBadImage},
		{"jpeg magic only", []byte{0xff, 0xd8, 0xff, 0xe0, 0, 0}, DefaultProfile(), ErrBadImage},
		{"too small", tiny, DefaultProfile(), ErrImageSize},
		{"too large", huge, DefaultProfile(), ErrImageSize},
		{"huge in few bytes", resize(encodePNG(t, image.NewGray(image.Rect(0, 0, 64, 64))), 9000, 9000), DefaultProfile(), ErrBadImage},
		{"truncated jpeg", jpegBytes(t, imgs[0])[:5000], DefaultProfile(), ErrBadImage},
		{"bad policy", good, Profile{Blank: "maybe"}, ErrBadProfile},
	}
	for _, c := range cases {
		_, err := Process(ctx, c.in, c.p)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
		if err != nil && !strings.Contains(err.Error(), "/") {
			t.Errorf("%s: error %q lacks the Vietnamese / English text", c.name, err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Process(cctx, good, DefaultProfile()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}

func jpegBytes(t *testing.T, img image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func rssKB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			n, err := strconv.Atoi(strings.Fields(l)[1])
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestNoLeak processes 500 pages (a sixth of a generated page at 150 dpi,
// every step, OSD on a tenth of them, from two goroutines) and checks that the
// resident memory stays flat: every Pix is freed.
func TestNoLeak(t *testing.T) {
	_, imgs, err := docgen.Generate(4, 0, docgen.Options{DPI: 150})
	if err != nil {
		t.Fatal(err)
	}
	b := imgs[0].Bounds()
	part := image.NewGray(image.Rect(0, 0, b.Dx()/2, b.Dy()/3))
	g := toGray(imgs[0])
	for y := 0; y < b.Dy()/3; y++ {
		copy(part.Pix[y*part.Stride:(y+1)*part.Stride], g.Pix[(y+b.Dy()/3)*g.Stride:])
	}
	r, err := Process(context.Background(), encodePNG(t, part), DefaultProfile())
	t.Logf("one small page: %+v err %v", r.Timings, err)
	in := encodePNG(t, part)
	p := DefaultProfile()
	p.Binarize = true
	run := func(n int) {
		var wg sync.WaitGroup
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < n/2; i++ {
					q := p
					q.AutoOrient = i%10 == 0 // OSD costs ~0.2 s of CPU: on every tenth page
					r, err := Process(context.Background(), in, q)
					if err != nil || !r.Changed {
						t.Errorf("process: changed %v err %v", r.Changed, err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	settle := func() int {
		runtime.GC()
		debug.FreeOSMemory()
		return rssKB(t)
	}
	run(50) // warm up: OSD engines, allocator pools
	before := settle()
	run(500)
	after := settle()
	t.Logf("RSS after 50 pages %d KiB, after 500 more %d KiB (page %dx%d)", before, after, b.Dx()/2, b.Dy()/3)
	if after-before > 20*1024 {
		t.Errorf("RSS grew by %d KiB over 500 pages", after-before)
	}
}

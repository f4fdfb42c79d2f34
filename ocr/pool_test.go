package ocr

import (
	"context"
	"errors"
	"image"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func newTestPool(t testing.TB, opts Options) *Pool {
	t.Helper()
	p, err := NewPool(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func checkSample(t *testing.T, res Result) {
	t.Helper()
	for _, l := range sampleLines {
		if !strings.Contains(res.Text, l) {
			t.Errorf("text lacks %q; got:\n%s", l, res.Text)
		}
	}
}

func TestRecognizeVietnamese(t *testing.T) {
	p := newTestPool(t, Options{Workers: 1})
	img := renderLines(t, sampleLines, 28)
	res, err := p.Recognize(context.Background(), pngBytes(t, img))
	if err != nil {
		t.Fatal(err)
	}
	checkSample(t, res)
	if !strings.HasPrefix(res.Engine, "tesseract 5.") {
		t.Errorf("engine %q", res.Engine)
	}
	// A Vietnamese page is read with Vietnamese alone (TestLanguagePerPage).
	if !regexp.MustCompile(`^vie@[0-9a-f]{12}$`).MatchString(res.Model) || res.Languages != "vie" {
		t.Errorf("model %q, languages %q", res.Model, res.Languages)
	}
	if res.Width != img.Bounds().Dx() || res.Height != img.Bounds().Dy() || res.Orientation != 0 {
		t.Errorf("size %dx%d orientation %d", res.Width, res.Height, res.Orientation)
	}
	if res.MeanConf < 80 || res.Duration <= 0 {
		t.Errorf("mean confidence %.1f, duration %v", res.MeanConf, res.Duration)
	}
	var joined []string
	lastLine := [3]int{}
	for _, w := range res.Words {
		if w.X0 < 0 || w.Y0 < 0 || w.X1 > res.Width || w.Y1 > res.Height || w.X0 >= w.X1 || w.Y0 >= w.Y1 {
			t.Errorf("word %q box %v outside image", w.Text, w)
		}
		if w.Conf < 0 || w.Conf > 100 || w.Block < 1 || w.Par < 1 || w.Line < 1 {
			t.Errorf("word %+v: bad confidence or numbering", w)
		}
		if cur := [3]int{w.Block, w.Par, w.Line}; cur != lastLine {
			joined = append(joined, "\n")
			lastLine = cur
		}
		joined = append(joined, w.Text)
	}
	// The words, in order, spell the text.
	flat := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	if got, want := flat(strings.Join(joined, " ")), flat(res.Text); got != want {
		t.Errorf("words spell %q, text is %q", got, want)
	}
	// First word of line 3 of the sample is "Số" and sits in the 3rd text row.
	for _, w := range res.Words {
		if w.Text == "Số" {
			if w.Y0 < 28+44*2-6 || w.Y1 > 28+44*3+6 { // margin 28, line height 44
				t.Errorf("box of %q at rows %d-%d, expected in the third line", w.Text, w.Y0, w.Y1)
			}
		}
	}
}

func TestAutoOrient(t *testing.T) {
	p := newTestPool(t, Options{Workers: 2, AutoOrient: true})
	up := renderLines(t, sampleLines, 28)
	ref, err := p.Recognize(context.Background(), pngBytes(t, up))
	if err != nil {
		t.Fatal(err)
	}
	W, H := up.Bounds().Dx(), up.Bounds().Dy()
	for _, deg := range []int{90, 180, 270} {
		res, err := p.Recognize(context.Background(), pngBytes(t, rotateCW(up, deg)))
		if err != nil {
			t.Fatal(err)
		}
		if want := (360 - deg) % 360; res.Orientation != want {
			t.Errorf("page turned %d°: orientation %d, want %d", deg, res.Orientation, want)
		}
		if res.Text != ref.Text {
			t.Errorf("page turned %d°: text\n%s\nwant\n%s", deg, res.Text, ref.Text)
			continue
		}
		if len(res.Words) != len(ref.Words) {
			t.Fatalf("page turned %d°: %d words, want %d", deg, len(res.Words), len(ref.Words))
		}
		// Boxes are in the stored (turned) image: the upright boxes turned
		// the same way, give or take a few pixels.
		for i, w := range res.Words {
			u := ref.Words[i]
			// Forward-rotate the upright box by deg: the inverse of mapRect
			// with the turned image's size.
			tw, th := W, H
			if deg != 180 {
				tw, th = H, W
			}
			want := mapRect(image.Rect(u.X0, u.Y0, u.X1, u.Y1), (360-deg)%360, tw, th)
			got := image.Rect(w.X0, w.Y0, w.X1, w.Y1)
			if d := rectDist(got, want); d > 4 {
				t.Errorf("page turned %d°: word %q box %v, want about %v", deg, w.Text, got, want)
			}
		}
	}
}

func rectDist(a, b image.Rectangle) int {
	d := 0
	for _, v := range []int{a.Min.X - b.Min.X, a.Min.Y - b.Min.Y, a.Max.X - b.Max.X, a.Max.Y - b.Max.Y} {
		d = max(d, int(math.Abs(float64(v))))
	}
	return d
}

func TestMapRect(t *testing.T) {
	// A 10x4 image; the pixel block (1,0)-(3,1) turned each way and mapped back.
	r := image.Rect(1, 0, 3, 1)
	W, H := 10, 4
	for _, deg := range []int{0, 90, 180, 270} {
		// Forward rotation of r by deg (clockwise) in a W x H image.
		var f image.Rectangle
		switch deg {
		case 0:
			f = r
		case 90:
			f = image.Rect(H-r.Max.Y, r.Min.X, H-r.Min.Y, r.Max.X)
		case 180:
			f = image.Rect(W-r.Max.X, H-r.Max.Y, W-r.Min.X, H-r.Min.Y)
		case 270:
			f = image.Rect(r.Min.Y, W-r.Max.X, r.Max.Y, W-r.Min.X)
		}
		if got := mapRect(f, deg, W, H); got != r {
			t.Errorf("deg %d: mapRect(%v) = %v, want %v", deg, f, got, r)
		}
	}
}

func TestBadInput(t *testing.T) {
	p := newTestPool(t, Options{Workers: 1})
	good := pngBytes(t, renderLines(t, sampleLines[:2], 28))
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrEmptyImage},
		{"garbage", []byte("this is not an image at all, just words"), ErrBadImage},
		{"png header only", good[:8], ErrBadImage},
		{"truncated png", good[:len(good)/2], ErrBadImage},
		{"png header then garbage", append(append([]byte{}, good[:8]...), make([]byte, 500)...), ErrBadImage},
		{"jpeg magic then garbage", append([]byte{0xff, 0xd8, 0xff, 0xe0}, []byte("garbage garbage garbage")...), ErrBadImage},
		{"tiff magic then garbage", append([]byte("II*\x00"), make([]byte, 100)...), ErrBadImage},
	}
	for _, c := range cases {
		_, err := p.Recognize(context.Background(), c.data)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
		_, err = p.RecognizeZone(context.Background(), c.data, image.Rect(0, 0, 10, 10), ZoneOptions{})
		if !errors.Is(err, c.want) {
			t.Errorf("%s zone: error %v, want %v", c.name, err, c.want)
		}
	}
	// The pool still works.
	res, err := p.Recognize(context.Background(), good)
	if err != nil || !strings.Contains(res.Text, sampleLines[1]) {
		t.Fatalf("after bad input: %q, %v", res.Text, err)
	}
}

func TestZone(t *testing.T) {
	p := newTestPool(t, Options{Workers: 1})
	up := renderLines(t, sampleLines, 28)
	page, err := p.Recognize(context.Background(), pngBytes(t, up))
	if err != nil {
		t.Fatal(err)
	}
	// The zone around the third line ("Số hồ sơ: 2024/118 ngày ...").
	var zone image.Rectangle
	for _, w := range page.Words {
		if w.Block == 1 && w.Par == 2 && w.Line == 1 {
			zone = zone.Union(image.Rect(w.X0, w.Y0, w.X1, w.Y1))
		}
	}
	if zone.Empty() {
		t.Fatalf("no third line in %+v", page.Words)
	}
	zone = zone.Inset(-6)
	res, err := p.RecognizeZone(context.Background(), pngBytes(t, up), zone, ZoneOptions{Whitelist: "0123456789/", PSM: 7})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Text, "2024/118") || strings.ContainsAny(res.Text, "SốhồsơngàyáBCD:") {
		t.Errorf("zone text %q: want digits only, with 2024/118", res.Text)
	}
	for _, w := range res.Words {
		if !image.Rect(w.X0, w.Y0, w.X1, w.Y1).In(zone) {
			t.Errorf("zone word %q at %v outside zone %v", w.Text, w, zone)
		}
	}
	// Same zone on the page stored upside down: the zone is given in the
	// stored image's coordinates, Orientation turns the crop upright.
	W, H := up.Bounds().Dx(), up.Bounds().Dy()
	flipped := mapRect(zone, 180, W, H)
	res2, err := p.RecognizeZone(context.Background(), pngBytes(t, rotateCW(up, 180)), flipped, ZoneOptions{Whitelist: "0123456789/", PSM: 7, Orientation: 180})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Text != res.Text || res2.Orientation != 180 {
		t.Errorf("upside-down zone: %q (orientation %d), want %q", res2.Text, res2.Orientation, res.Text)
	}
	for _, w := range res2.Words {
		if !image.Rect(w.X0, w.Y0, w.X1, w.Y1).In(flipped) {
			t.Errorf("upside-down zone word %q at %v outside zone %v", w.Text, w, flipped)
		}
	}
	// Outside the image, and bad options.
	if _, err := p.RecognizeZone(context.Background(), pngBytes(t, up), image.Rect(5000, 5000, 5100, 5100), ZoneOptions{}); !errors.Is(err, ErrZoneOutside) {
		t.Errorf("zone outside: %v", err)
	}
	if _, err := p.RecognizeZone(context.Background(), pngBytes(t, up), zone, ZoneOptions{Orientation: 45}); !errors.Is(err, ErrBadOrientation) {
		t.Errorf("orientation 45: %v", err)
	}
	// The whitelist does not stick to the next full page.
	again, err := p.Recognize(context.Background(), pngBytes(t, up))
	if err != nil || again.Text != page.Text {
		t.Errorf("page after zone: %q, %v", again.Text, err)
	}
}

func TestWorkerCrash(t *testing.T) {
	t.Setenv(envTestHooks, "1")
	p := newTestPool(t, Options{Workers: 1})
	img := pngBytes(t, renderLines(t, sampleLines[:2], 28))
	ctx := context.Background()
	before := p.workerPIDs()

	// A worker that dies mid-page: the page is retried on a fresh worker.
	marker := filepath.Join(t.TempDir(), "crashed")
	res, err := p.submit(ctx, request{Op: opCrashOnce, PSM: 3, Arg: marker}, img)
	if err != nil {
		t.Fatalf("crash-once page: %v", err)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("the worker did not crash: %v", err)
	}
	if !strings.Contains(res.Text, sampleLines[0]) {
		t.Errorf("retried page text %q", res.Text)
	}
	after := p.workerPIDs()
	if len(after) != 1 || after[0] == before[0] {
		t.Errorf("worker pids %v then %v: want a new worker", before, after)
	}

	// A page that kills every worker it meets fails with ErrWorkerCrashed.
	if _, err := p.submit(ctx, request{Op: opCrash}, img); !errors.Is(err, ErrWorkerCrashed) {
		t.Errorf("crashing page: %v, want ErrWorkerCrashed", err)
	}
	// A worker killed from outside (SIGKILL) mid-page.
	done := make(chan error, 1)
	go func() { _, err := p.do(ctx, request{Op: opStall}, img); done <- err }()
	waitBusyKill(t, p)
	if err := <-done; !errors.Is(err, ErrWorkerCrashed) {
		t.Errorf("killed worker: %v, want ErrWorkerCrashed", err)
	}
	// The pool recovers.
	res, err = p.Recognize(ctx, img)
	if err != nil || !strings.Contains(res.Text, sampleLines[0]) {
		t.Fatalf("after crashes: %q, %v", res.Text, err)
	}
}

// waitBusyKill SIGKILLs the single worker once it holds the stall request.
func waitBusyKill(t *testing.T, p *Pool) {
	t.Helper()
	// Wait until the slot has its (restarted) worker; killing it before
	// or after the request reached it both fail the request the same way.
	var pids []int
	for range 600 {
		if pids = p.workerPIDs(); len(pids) == 1 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(pids) != 1 {
		t.Fatalf("workers %v", pids)
	}
	time.Sleep(50 * time.Millisecond)
	pr, err := os.FindProcess(pids[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := pr.Kill(); err != nil {
		t.Fatal(err)
	}
}

func TestCancel(t *testing.T) {
	t.Setenv(envTestHooks, "1")
	p := newTestPool(t, Options{Workers: 1})
	img := pngBytes(t, renderLines(t, sampleLines, 28))

	// Cancel while the worker is busy (it would never answer).
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := p.do(ctx, request{Op: opStall}, img); done <- err }()
	time.Sleep(100 * time.Millisecond)
	busy := p.workerPIDs()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled stall: %v", err)
	}
	// An already cancelled context never reaches a worker.
	if _, err := p.Recognize(ctx, img); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	// A deadline in the middle of a real page.
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel2()
	if _, err := p.Recognize(ctx2, img); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline: %v", err)
	}
	// The busy worker was replaced and the pool works.
	res, err := p.Recognize(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	checkSample(t, res)
	if now := p.workerPIDs(); len(now) != 1 || now[0] == busy[0] {
		t.Errorf("worker %v still the cancelled one %v", now, busy)
	}
	// Closing makes further calls fail cleanly.
	p.Close()
	if _, err := p.Recognize(context.Background(), img); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestRecycleAndConcurrency(t *testing.T) {
	p := newTestPool(t, Options{Workers: 2, PagesPerWorker: 3})
	imgs := [][]byte{
		pngBytes(t, renderLines(t, sampleLines[:2], 24)),
		pngBytes(t, renderLines(t, sampleLines[2:4], 24)),
		pngBytes(t, renderLines(t, sampleLines[4:], 24)),
	}
	seen := map[int]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 15 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := i % len(imgs)
			res, err := p.Recognize(context.Background(), imgs[k])
			if err != nil {
				t.Error(err)
				return
			}
			if !strings.Contains(res.Text, sampleLines[2*k+1]) {
				t.Errorf("page %d: %q", k, res.Text)
			}
			mu.Lock()
			for _, pid := range p.workerPIDs() {
				seen[pid] = true
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	// 15 pages, 3 per worker: at least 5 worker processes have served.
	if len(seen) < 4 {
		t.Errorf("saw %d worker processes, want recycling every 3 pages", len(seen))
	}
}

func TestNewPoolErrors(t *testing.T) {
	if _, err := NewPool(Options{Workers: 1, Languages: []string{"xxx"}}); err == nil || !strings.Contains(err.Error(), "xxx") {
		t.Errorf("unknown language: %v", err)
	}
	if _, err := NewPool(Options{Workers: 1, TessdataDir: t.TempDir()}); err == nil {
		t.Error("empty tessdata dir: no error")
	}
	if _, err := NewPool(Options{Workers: 1, PSM: 99}); err == nil {
		t.Error("PSM 99: no error")
	}
	p := newTestPool(t, Options{Workers: 1, TessdataDir: defaultTessdata, Languages: []string{"eng"}})
	res, err := p.Recognize(context.Background(), pngBytes(t, renderLines(t, []string{"Hello World 2024"}, 28)))
	if err != nil || res.Text != "Hello World 2024" || !strings.HasPrefix(res.Model, "eng@") {
		t.Errorf("eng only: %q %q %v", res.Text, res.Model, err)
	}
}

// TestAutoOrientWithoutOSD: when OSD cannot decide (here: as if osd.traineddata were
// missing), a page is recognised once; only a page whose reading is poor gets the 180°
// probe, and only a page the probe finds upside down is read a second time, turned.
func TestAutoOrientWithoutOSD(t *testing.T) {
	t.Setenv(envTestHooks, "1")
	p := newTestPool(t, Options{Workers: 1, AutoOrient: true})
	ctx := context.Background()
	up := renderLines(t, sampleLines, 28)
	page := func(img image.Image) Result {
		t.Helper()
		res, err := p.submit(ctx, request{Op: opPageNoOSD, PSM: 3, AutoOrient: true}, pngBytes(t, img))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	ref := page(up)
	checkSample(t, ref)
	if ref.Orientation != 0 || ref.Passes != 1 || ref.Probed {
		t.Errorf("upright page: orientation %d, %d passes, probed %v (mean confidence %.0f)", ref.Orientation, ref.Passes, ref.Probed, ref.MeanConf)
	}
	// Clean and upside down, Tesseract reads the turned glyphs with confidence (mean above
	// lowMeanConf): that page goes unnoticed without OSD, as before. With some noise the
	// reading is poor, the probe runs and finds the page turned.
	turned := page(rotateCW(noisyCopy(up, 35), 180))
	if turned.Orientation != 180 || turned.Passes != 2 || !turned.Probed {
		t.Errorf("noisy page upside down: orientation %d, %d passes, probed %v, text\n%s", turned.Orientation, turned.Passes, turned.Probed, turned.Text)
	}
	if !strings.Contains(turned.Text, "CỘNG HÒA XÃ HỘI") {
		t.Errorf("noisy page upside down, read turned: %q", turned.Text)
	}
	// Letters that make no words, with noise: a poor reading of an upright page. The probe
	// runs, finds nothing better turned, and the page is not read a second time.
	gib := noisyCopy(renderLines(t, []string{"qxzj wvkb ƒŋ ŧħ đkq xzv", "ŋŧħ qjx zwk vbq ŋẍ", "kqzx jvw ẍŋŧ ħqz", "zzqx wwkj vvbq ŋŋŧ"}, 28), 30)
	low := page(gib)
	if low.MeanConf >= lowMeanConf || len(low.Words) == 0 {
		t.Fatalf("test page reads at mean confidence %.0f with %d words: not a poor reading", low.MeanConf, len(low.Words))
	}
	if low.Orientation != 0 || low.Passes != 1 || !low.Probed {
		t.Errorf("poorly read upright page: orientation %d, %d passes, probed %v", low.Orientation, low.Passes, low.Probed)
	}
}

// noisyCopy flips about one pixel in every k to its opposite, deterministically.
func noisyCopy(img *image.Gray, k int) *image.Gray {
	out := image.NewGray(img.Bounds())
	copy(out.Pix, img.Pix)
	x := uint32(12345)
	for i := range out.Pix {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		if x%uint32(k) == 0 {
			out.Pix[i] = 255 - out.Pix[i]
		}
	}
	return out
}

// TestRefineLines: with a second model (make tessdata-best), the lines read under
// RefineBelow are read again with it and the page text is made of those readings; the
// model names both.
func TestRefineLines(t *testing.T) {
	best, err := filepath.Abs(filepath.Join("..", "tessdata", "best"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(best, "vie.traineddata")); err != nil {
		t.Fatalf("best model missing (make tessdata-best): %v", err)
	}
	img := pngBytes(t, renderLines(t, sampleLines, 28))
	plain := newTestPool(t, Options{Workers: 1})
	ref, err := plain.Recognize(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	if ref.RefinedLines != 0 {
		t.Errorf("no second model, %d lines refined", ref.RefinedLines)
	}
	p := newTestPool(t, Options{Workers: 1, RefineTessdata: best, RefineBelow: 101}) // every line
	res, err := p.Recognize(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	checkSample(t, res)
	if res.RefinedLines != len(sampleLines) {
		t.Errorf("%d lines refined, want %d", res.RefinedLines, len(sampleLines))
	}
	if !strings.Contains(res.Model, "refined with vie@") || res.Model == ref.Model {
		t.Errorf("model %q", res.Model)
	}
	if got := wordsText(res.Words); got != res.Text {
		t.Errorf("text %q is not its words %q", res.Text, got)
	}
	for _, w := range res.Words {
		if w.X0 < 0 || w.Y0 < 0 || w.X1 > res.Width || w.Y1 > res.Height || w.Line < 1 {
			t.Errorf("refined word %+v outside the page or unnumbered", w)
		}
	}
}

//go:build packagetest

package packaging

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests of this file check the packages `make package` wrote into dist/ (`make
// package-test` builds them first): what the .debs declare and hold, lintian, the desktop,
// AppStream and systemd files, and then an install of both .debs into a fresh Debian root
// (mmdebstrap from the Debian mirror) where the installed binaries run: sohoa --version,
// sohoa-central --version and init as its system user, and the window under Xvfb, of which a
// screenshot is written to $SOHOA_SCREENSHOT (default dist/installed-deb.png).

const suite = "bookworm"

func dist(t *testing.T, pattern string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join("dist", pattern))
	if len(m) != 1 {
		t.Fatalf("dist/%s: %d files (%v): run `make package` first", pattern, len(m), m)
	}
	abs, err := filepath.Abs(m[0])
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (make setup installs it: DEB_PACKAGES)", tool)
		}
	}
}

func output(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// field returns a control field of a .deb.
func field(t *testing.T, deb, name string) string {
	t.Helper()
	return strings.TrimSpace(output(t, "dpkg-deb", "--field", deb, name))
}

func TestWorkstationDeb(t *testing.T) {
	need(t, "dpkg-deb")
	deb := dist(t, "sohoa_*_*.deb")
	info := output(t, "dpkg-deb", "--info", deb)
	if field(t, deb, "Package") != "sohoa" {
		t.Fatalf("package name:\n%s", info)
	}
	depends := field(t, deb, "Depends")
	for _, want := range []string{"libtesseract5", "liblept5", "libsane1", "libgl1", "libx11-6", "libc6 (>=",
		"tesseract-ocr-vie", "tesseract-ocr-eng", "tesseract-ocr-osd", "libxcursor1", "libxrandr2", "libxi6"} {
		if !strings.Contains(depends, want) {
			t.Errorf("Depends lacks %s: %s", want, depends)
		}
	}
	contents := output(t, "dpkg-deb", "--contents", deb)
	for _, want := range []string{"./usr/bin/sohoa", "./usr/share/applications/vn.sohoa.workstation.desktop",
		"./usr/share/metainfo/vn.sohoa.workstation.metainfo.xml", "./usr/share/icons/hicolor/scalable/apps/vn.sohoa.workstation.svg",
		"./usr/share/icons/hicolor/48x48/apps/vn.sohoa.workstation.png", "./usr/share/icons/hicolor/256x256/apps/vn.sohoa.workstation.png",
		"./usr/share/man/man1/sohoa.1.gz", "./usr/share/doc/sohoa/copyright"} {
		if !regexp.MustCompile(`(?m)^-\S+ root/root .* ` + regexp.QuoteMeta(want) + `$`).MatchString(contents) {
			t.Errorf("the .deb has no %s owned by root:\n%s", want, contents)
		}
	}
	if !regexp.MustCompile(`(?m)^-rwxr-xr-x root/root .* \./usr/bin/sohoa$`).MatchString(contents) {
		t.Errorf("usr/bin/sohoa is not 0755 root:root:\n%s", contents)
	}
}

func TestCentralDeb(t *testing.T) {
	need(t, "dpkg-deb")
	deb := dist(t, "sohoa-central_*_*.deb")
	if field(t, deb, "Package") != "sohoa-central" {
		t.Fatal(output(t, "dpkg-deb", "--info", deb))
	}
	depends := field(t, deb, "Depends")
	for _, bad := range []string{"tesseract", "sane", "libgl"} {
		if strings.Contains(depends, bad) {
			t.Errorf("the central server depends on %s: %s", bad, depends)
		}
	}
	contents := output(t, "dpkg-deb", "--contents", deb)
	for _, want := range []string{"./usr/bin/sohoa-central", "./lib/systemd/system/sohoa-central.service",
		"./usr/lib/sysusers.d/sohoa-central.conf", "./etc/sohoa-central/sohoa-central.conf",
		"./usr/share/man/man8/sohoa-central.8.gz", "./usr/share/doc/sohoa-central/README.Debian"} {
		if !strings.Contains(contents, " "+want+"\n") {
			t.Errorf("the .deb has no %s:\n%s", want, contents)
		}
	}
	ctl := t.TempDir()
	output(t, "dpkg-deb", "--control", deb, ctl)
	conffiles, err := os.ReadFile(filepath.Join(ctl, "conffiles"))
	if err != nil || strings.TrimSpace(string(conffiles)) != "/etc/sohoa-central/sohoa-central.conf" {
		t.Errorf("conffiles: %q %v", conffiles, err)
	}
	x := t.TempDir()
	output(t, "dpkg-deb", "--extract", deb, x)
	unit, err := os.ReadFile(filepath.Join(x, "lib/systemd/system/sohoa-central.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"User=sohoa-central", "StateDirectory=sohoa-central", "ProtectSystem=strict",
		"NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectHome=yes", "CapabilityBoundingSet=\n", "--trust ${STATE_DIRECTORY}/trust"} {
		if !bytes.Contains(unit, []byte(want)) {
			t.Errorf("the unit has no %q", want)
		}
	}
	// Every option the sample configuration shows is one serve knows.
	conf, err := os.ReadFile(filepath.Join(x, "etc/sohoa-central/sohoa-central.conf"))
	if err != nil {
		t.Fatal(err)
	}
	help, _ := exec.Command(filepath.Join(x, "usr/bin/sohoa-central"), "serve", "-h").CombinedOutput()
	for _, m := range regexp.MustCompile(`(?m)--([a-z][a-z-]+)`).FindAllSubmatch(conf, -1) {
		if opt := string(m[1]); opt != "trust-from" && !strings.Contains(string(help), "-"+opt+" ") && !strings.Contains(string(help), "-"+opt+"\n") {
			t.Errorf("the sample configuration names --%s, which serve does not know", opt)
		}
	}
}

// TestLintian: lintian finds no error and no warning in either .deb.
func TestLintian(t *testing.T) {
	need(t, "lintian")
	for _, deb := range []string{dist(t, "sohoa_*_*.deb"), dist(t, "sohoa-central_*_*.deb")} {
		out, err := exec.Command("lintian", "--fail-on", "error,warning", "--no-tag-display-limit", deb).CombinedOutput()
		if err != nil || regexp.MustCompile(`(?m)^[EW]: `).Match(out) {
			t.Errorf("lintian %s: %v\n%s", filepath.Base(deb), err, out)
		}
	}
}

// TestMetadataFiles: the desktop entry and the AppStream metadata pass their own validators
// (the systemd unit is verified where it is installed: TestInstallIntoFreshDebian).
func TestMetadataFiles(t *testing.T) {
	need(t, "desktop-file-validate", "appstreamcli")
	x := t.TempDir()
	output(t, "dpkg-deb", "--extract", dist(t, "sohoa_*_*.deb"), x)
	output(t, "dpkg-deb", "--extract", dist(t, "sohoa-central_*_*.deb"), x)
	if out, err := exec.Command("desktop-file-validate", filepath.Join(x, "usr/share/applications/vn.sohoa.workstation.desktop")).CombinedOutput(); err != nil ||
		regexp.MustCompile(`(?m): (error|warning): `).Match(out) {
		t.Errorf("desktop-file-validate: %v\n%s", err, out)
	}
	if out, err := exec.Command("appstreamcli", "validate", "--no-net", "--pedantic", filepath.Join(x, "usr/share/metainfo/vn.sohoa.workstation.metainfo.xml")).CombinedOutput(); err != nil {
		t.Errorf("appstreamcli validate: %v\n%s", err, out)
	}
	desktop, _ := os.ReadFile(filepath.Join(x, "usr/share/applications/vn.sohoa.workstation.desktop"))
	for _, want := range []string{"Name[vi]=", "Comment[vi]=", "GenericName[vi]=", "Icon=vn.sohoa.workstation\n", "Exec=sohoa\n"} {
		if !bytes.Contains(desktop, []byte(want)) {
			t.Errorf("the desktop entry has no %q", want)
		}
	}
}

// TestInstallIntoFreshDebian installs both .debs into a fresh Debian root made by
// mmdebstrap (apt resolves their Depends from the mirror) and runs what was installed.
func TestInstallIntoFreshDebian(t *testing.T) {
	need(t, "mmdebstrap", "Xvfb", "xwininfo")
	ws, central := dist(t, "sohoa_*_*.deb"), dist(t, "sohoa-central_*_*.deb")
	// Not under t.TempDir: the root gets the host's /dev bound into it (runGUI), and it is
	// removed only once every mount is gone, never through a mount.
	parent, err := os.MkdirTemp("", "sohoa-deb-root-")
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(parent, "root")
	var mounts []string
	t.Cleanup(func() {
		for _, m := range mounts {
			if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil {
				t.Errorf("unmount %s: %v: %s left in place", m, err, parent)
				return
			}
		}
		os.RemoveAll(parent)
	})
	// apt installs the .debs (and pulls their Depends from the mirror) inside the new root:
	// mmdebstrap's --include of a path outside the root fails with a chrooted dpkg.
	cmd := exec.Command("mmdebstrap", "--mode=root", "--variant=apt", "--quiet", "--include=systemd",
		"--customize-hook=copy-in "+ws+" "+central+" /tmp",
		`--customize-hook=chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/`+filepath.Base(ws)+" /tmp/"+filepath.Base(central),
		`--customize-hook=rm -f "$1"/tmp/*.deb`,
		suite, root)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mmdebstrap: %v\n%s", err, out)
	}
	in := func(args ...string) (string, error) {
		out, err := exec.Command("chroot", append([]string{root}, args...)...).CombinedOutput()
		return string(out), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := in(args...)
		if err != nil {
			t.Fatalf("in the new root: %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	status := must("dpkg-query", "-W", "-f=${Package} ${Status}\n", "sohoa", "sohoa-central", "libtesseract5", "tesseract-ocr-vie", "libsane1")
	if strings.Count(status, "install ok installed") != 5 {
		t.Fatalf("installed:\n%s", status)
	}
	if out := must("ldd", "/usr/bin/sohoa"); strings.Contains(out, "not found") {
		t.Fatalf("ldd sohoa:\n%s", out)
	}
	v := must("sohoa", "--version")
	for _, re := range []string{`^sohoa \d+\.\d+\.\d+ \(commit [0-9a-f]{12}`, `(?m)^  Tesseract 5\.`, `(?m)^  Leptonica 1\.`, `(?m)^  SANE +1\.`, `(?m)^  SQLite +3\.`} {
		if !regexp.MustCompile(re).MatchString(v) {
			t.Errorf("sohoa --version: no %s in\n%s", re, v)
		}
	}
	t.Logf("installed sohoa --version:\n%s", v)
	// The language data where libtesseract looks for it.
	for _, lang := range []string{"vie", "eng", "osd"} {
		if fi, err := os.Stat(filepath.Join(root, "usr/share/tesseract-ocr/5/tessdata", lang+".traineddata")); err != nil || fi.Size() < 100<<10 {
			t.Errorf("language data %s: %v", lang, err)
		}
	}
	cv := must("sohoa-central", "--version")
	if !regexp.MustCompile(`^sohoa-central \d+\.\d+\.\d+ \(commit [0-9a-f]{12}`).MatchString(cv) {
		t.Errorf("sohoa-central --version:\n%s", cv)
	}
	// The system user exists, its data folder is its own and private, and init works as it.
	if out := must("getent", "passwd", "sohoa-central"); !strings.Contains(out, ":/var/lib/sohoa-central:") {
		t.Errorf("user: %s", out)
	}
	if out := must("stat", "-c", "%U %a", "/var/lib/sohoa-central"); strings.TrimSpace(out) != "sohoa-central 700" {
		t.Errorf("/var/lib/sohoa-central: %s", out)
	}
	if out := must("stat", "-c", "%U:%G %a", "/etc/sohoa-central/sohoa-central.conf"); strings.TrimSpace(out) != "root:sohoa-central 640" {
		t.Errorf("configuration file: %s", out)
	}
	initOut := must("setpriv", "--reuid=sohoa-central", "--regid=sohoa-central", "--init-groups", "--",
		"sohoa-central", "init", "--data", "/var/lib/sohoa-central")
	if !strings.Contains(initOut, "TLS fingerprint:") {
		t.Errorf("init:\n%s", initOut)
	}
	// The unit, where it is installed: syntax, every option known to this systemd, ExecStart's
	// binary present.
	if out, err := in("systemd-analyze", "verify", "--man=no", "/lib/systemd/system/sohoa-central.service"); err != nil || strings.Contains(out, "sohoa-central.service:") {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	runGUI(t, root, &mounts)
}

// runGUI starts the installed sohoa (no arguments: the window) in the new root against an
// Xvfb of this machine, waits for its window, takes the screenshot and stops it with SIGTERM.
// It adds the mounts it makes to *mounts (first to undo first), for the caller's clean-up.
func runGUI(t *testing.T, root string, mounts *[]string) {
	fbdir := t.TempDir()
	display, n := startXvfb(t, fbdir)
	// The new root sees the display's socket, /proc and /dev.
	for _, m := range []struct{ src, dst, typ string }{{"/tmp/.X11-unix", "tmp/.X11-unix", ""}, {"proc", "proc", "proc"}, {"/dev", "dev", ""}} {
		dst := filepath.Join(root, m.dst)
		if err := os.MkdirAll(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if m.typ == "" {
			err = syscall.Mount(m.src, dst, "", syscall.MS_BIND, "")
		} else {
			err = syscall.Mount(m.src, dst, m.typ, 0, "")
		}
		if err != nil {
			t.Fatalf("mount %s: %v", dst, err)
		}
		*mounts = append([]string{dst}, *mounts...)
	}
	if err := os.MkdirAll(filepath.Join(root, "home/clerk"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("chroot", root, "env", "-i", "PATH=/usr/bin:/bin", "HOME=/home/clerk", "DISPLAY="+display,
		"LANG=C.UTF-8", "SOHOA_LANG=vi", "sohoa", "--data", "/home/clerk/sohoa")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ended := false
	defer func() {
		if !ended {
			cmd.Process.Kill()
			<-exited
		}
	}()
	up := false
	for i := 0; i < 600 && !up; i++ {
		select {
		case err := <-exited:
			ended = true
			t.Fatalf("the installed sohoa exited before its window showed: %v\n%s", err, out.String())
		case <-time.After(100 * time.Millisecond):
		}
		tree, _ := exec.Command("xwininfo", "-display", display, "-root", "-tree").Output()
		up = strings.Contains(string(tree), `"SoHoa"`)
	}
	if !up {
		t.Fatalf("the window never showed\n%s", out.String())
	}
	// Let it draw; then the screen is what a clerk sees after installing.
	var img image.Image
	for i := 0; i < 20; i++ {
		time.Sleep(500 * time.Millisecond)
		var err error
		if img, err = readXWD(filepath.Join(fbdir, fmt.Sprintf("Xvfb_screen%d", 0))); err != nil {
			t.Fatal(err)
		}
		if colours(img) > 16 {
			break
		}
	}
	if c := colours(img); c <= 16 {
		t.Fatalf("the screen shows %d colours: nothing drawn\n%s", c, out.String())
	}
	if r, err := windowRect(display, "SoHoa"); err == nil && r.In(img.Bounds()) && !r.Empty() {
		img = img.(*image.RGBA).SubImage(r)
	} else {
		t.Logf("screenshot of the whole screen: the window's place: %v %v", r, err)
	}
	shot := os.Getenv("SOHOA_SCREENSHOT")
	if shot == "" {
		shot = "dist/installed-deb.png"
	}
	f, err := os.Create(shot)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the installed workstation (display %d): %s", n, shot)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		ended = true
		if err != nil {
			t.Fatalf("after SIGTERM: %v\n%s", err, out.String())
		}
	case <-time.After(60 * time.Second): // a hang, not a speed limit
		t.Fatalf("the installed sohoa ignored SIGTERM\n%s", out.String())
	}
}

func startXvfb(t *testing.T, fbdir string) (string, int) {
	t.Helper()
	for n := 150 + os.Getpid()%40; n < 250; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue
		}
		x := exec.Command("Xvfb", fmt.Sprintf(":%d", n), "-screen", "0", "1280x800x24", "-fbdir", fbdir, "-nolisten", "tcp")
		if err := x.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { x.Process.Kill(); x.Wait() })
		for i := 0; i < 100; i++ {
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
				return fmt.Sprintf(":%d", n), n
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("Xvfb :%d did not start", n)
	}
	t.Fatal("no free X display number")
	return "", 0
}

// windowRect is where the top-level window called name is on the screen (xwininfo).
func windowRect(display, name string) (image.Rectangle, error) {
	out, err := exec.Command("xwininfo", "-display", display, "-name", name).Output()
	if err != nil {
		return image.Rectangle{}, err
	}
	val := func(key string) int {
		m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(key) + `:\s+(-?\d+)`).FindSubmatch(out)
		if m == nil {
			return -1
		}
		var v int
		fmt.Sscan(string(m[1]), &v)
		return v
	}
	x, y, w, h := val("Absolute upper-left X"), val("Absolute upper-left Y"), val("Width"), val("Height")
	if x < 0 || y < 0 || w <= 0 || h <= 0 {
		return image.Rectangle{}, fmt.Errorf("xwininfo: %s", out)
	}
	return image.Rect(x, y, x+w, y+h), nil
}

// readXWD decodes the screen Xvfb keeps in its -fbdir file: an X Window Dump (XWD version 7)
// of a TrueColor screen, 24 or 32 bits a pixel.
func readXWD(path string) (image.Image, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(raw) < 100 {
		return nil, fmt.Errorf("%s: %d bytes: no XWD header", path, len(raw))
	}
	var order binary.ByteOrder = binary.BigEndian
	if order.Uint32(raw) > 4096 {
		order = binary.LittleEndian
	}
	h := func(i int) uint32 { return order.Uint32(raw[4*i:]) }
	headerSize, version, w, ht := h(0), h(1), int(h(4)), int(h(5))
	byteOrder, bpp, bpl := h(7), int(h(11)), int(h(12))
	rmask, gmask, bmask, ncolors := h(14), h(15), h(16), h(19)
	if version != 7 || (bpp != 32 && bpp != 24) {
		return nil, fmt.Errorf("%s: XWD version %d, %d bits a pixel: not a TrueColor dump", path, version, bpp)
	}
	off := int(headerSize) + int(ncolors)*12
	if off+bpl*ht > len(raw) {
		return nil, fmt.Errorf("%s: %d bytes, the image needs %d", path, len(raw), off+bpl*ht)
	}
	var pix binary.ByteOrder = binary.LittleEndian
	if byteOrder == 1 {
		pix = binary.BigEndian
	}
	chan8 := func(p, mask uint32) uint8 {
		shift := 0
		for mask != 0 && mask&1 == 0 {
			mask >>= 1
			shift++
		}
		return uint8((p >> shift) & mask)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, ht))
	for y := 0; y < ht; y++ {
		row := raw[off+y*bpl:]
		for x := 0; x < w; x++ {
			var p uint32
			if bpp == 32 {
				p = pix.Uint32(row[4*x:])
			} else {
				b := row[3*x : 3*x+3]
				if byteOrder == 1 {
					p = uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2])
				} else {
					p = uint32(b[2])<<16 | uint32(b[1])<<8 | uint32(b[0])
				}
			}
			img.SetRGBA(x, y, color.RGBA{chan8(p, rmask), chan8(p, gmask), chan8(p, bmask), 255})
		}
	}
	return img, nil
}

// colours counts the distinct colours of an image, up to 1000.
func colours(img image.Image) int {
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			seen[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)] = true
			if len(seen) >= 1000 {
				return len(seen)
			}
		}
	}
	return len(seen)
}

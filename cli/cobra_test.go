package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/internal/l10n"
)

// runIn runs a command line as given (no --data added), with the runner's environment.
func (r *runner) runIn(ctx context.Context, stdin string, stdout, stderr io.Writer, args ...string) int {
	r.t.Helper()
	return Run(ctx, args, Env{Stdin: strings.NewReader(stdin), Stdout: stdout, Stderr: stderr,
		Getenv: func(k string) string { return r.env[k] }})
}

// walk calls f on every command of the tree, the root first.
func walk(cmd *cobra.Command, f func(*cobra.Command)) {
	f(cmd)
	for _, s := range cmd.Commands() {
		walk(s, f)
	}
}

// commandPaths lists every command of the tree but the root and cobra's hidden ones, as
// the words after "sohoa".
func commandPaths(t *testing.T) [][]string {
	t.Helper()
	var out [][]string
	walk((&cmdCtx{lang: l10n.Vi}).newRoot(), func(cmd *cobra.Command) {
		if cmd.HasParent() && !cmd.Hidden {
			out = append(out, strings.Fields(strings.TrimPrefix(cmd.CommandPath(), "sohoa ")))
		}
	})
	if len(out) < 50 {
		t.Fatalf("only %d commands in the tree", len(out))
	}
	return out
}

// TestGlobalFlagsBeforeCommand: --data, --json, --user and --password-stdin work before the
// command as well as after it (the old dispatcher said "unknown command").
func TestGlobalFlagsBeforeCommand(t *testing.T) {
	r := newRunner(t)
	r.withAdmin()
	var out, errb bytes.Buffer
	if code := r.runIn(t.Context(), "", &out, &errb, "--data", r.data, "--json", "batch", "new", "--name", "Lô trước"); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var b jsonBatch
	if err := json.Unmarshal(out.Bytes(), &b); err != nil || b.Name != "Lô trước" {
		t.Fatalf("batch new --json: %q %v", out.String(), err)
	}
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "a.png"), 200, 100)
	out.Reset()
	if code := r.runIn(t.Context(), "", &out, &errb, "--data="+r.data, "import", "--batch", b.ID, dir); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errb.String())
	}
	// The sign-in flags before the command, the password on standard input.
	delete(r.env, "SOHOA_USER")
	delete(r.env, "SOHOA_PASSWORD")
	out.Reset()
	if code := r.runIn(t.Context(), "mật-khẩu-quản-trị\n", &out, &errb, "--user", "admin", "--password-stdin", "--data", r.data, "list", "--json"); code != 0 {
		t.Fatalf("list: exit %d: %s", code, errb.String())
	}
	var list []jsonBatch
	if err := json.Unmarshal(out.Bytes(), &list); err != nil || len(list) != 1 || list[0].Documents != 1 {
		t.Fatalf("list: %q %v", out.String(), err)
	}
}

// TestHelpOfEveryCommand: `sohoa PATH --help` and `sohoa help PATH` print the command's help
// to standard output, nothing on standard error, and exit 0, for every command of the tree;
// the Vietnamese help has none of cobra's English headings.
func TestHelpOfEveryCommand(t *testing.T) {
	r := newRunner(t)
	for _, path := range commandPaths(t) {
		for _, args := range [][]string{append(append([]string{}, path...), "--help"), append([]string{"help"}, path...)} {
			var out, errb bytes.Buffer
			code := r.runIn(t.Context(), "", &out, &errb, args...)
			help := out.String()
			if strings.Join(path, " ") == "exit-codes" && code == 0 && strings.Contains(help, "130") {
				continue // a help topic: its text only
			}
			if code != 0 || errb.Len() != 0 || !strings.Contains(help, "sohoa "+strings.Join(path, " ")) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, help, errb.String())
				continue
			}
			for _, en := range []string{"Usage:", "Flags:", "Available Commands", "help for", "Generate the autocompletion"} {
				if strings.Contains(help, en) {
					t.Errorf("%v: the Vietnamese help says %q:\n%s", args, en, help)
				}
			}
		}
	}
	for _, lang := range []string{"vi", "en"} {
		r.env["SOHOA_LANG"] = lang
		var out, errb bytes.Buffer
		if code := r.runIn(t.Context(), "", &out, &errb, "--help"); code != 0 || errb.Len() != 0 || !strings.Contains(out.String(), "sync") ||
			!strings.Contains(out.String(), map[string]string{"vi": "Mã thoát", "en": "Exit status"}[lang]) {
			t.Errorf("%s: sohoa --help: exit %d, stdout %q, stderr %q", lang, code, out.String(), errb.String())
		}
	}
}

// TestEveryFlagHasUsage: every flag of every command, its own and the global ones, has a help
// text from the catalogue in Vietnamese and in English; so has every command.
func TestEveryFlagHasUsage(t *testing.T) {
	for _, lang := range l10n.Languages() {
		flags := 0
		walk((&cmdCtx{lang: lang}).newRoot(), func(cmd *cobra.Command) {
			if !cmd.Hidden && (strings.TrimSpace(cmd.Short) == "" || strings.HasPrefix(cmd.Short, "cli.")) {
				t.Errorf("%s: %s has no short description", lang, cmd.CommandPath())
			}
			check := func(f *pflag.Flag) {
				flags++
				if strings.TrimSpace(f.Usage) == "" || strings.HasPrefix(f.Usage, "cli.") || strings.Contains(f.Usage, "{{") {
					t.Errorf("%s: %s --%s: usage %q", lang, cmd.CommandPath(), f.Name, f.Usage)
				}
				if lang == l10n.Vi && (strings.HasPrefix(f.Usage, "help for") || strings.Contains(f.Usage, "completion descriptions")) {
					t.Errorf("vi: %s --%s: cobra's English usage %q", cmd.CommandPath(), f.Name, f.Usage)
				}
			}
			cmd.LocalFlags().VisitAll(check)
			cmd.InheritedFlags().VisitAll(check)
		})
		if flags < 200 {
			t.Errorf("%s: only %d flags seen", lang, flags)
		}
	}
}

// TestUnknownCommandOrFlag: a mistake in the command line is said in Vietnamese on standard
// error, with the usage line, exit 2; with --json the error is a JSON document too.
func TestUnknownCommandOrFlag(t *testing.T) {
	r := newRunner(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"khong-co"}, `sohoa: lệnh không tồn tại: "khong-co"`},
		{[]string{"import", "--khong-co"}, "sohoa import: tùy chọn không tồn tại: --khong-co"},
		{[]string{"--khong-co", "list"}, "sohoa: tùy chọn không tồn tại: --khong-co"},
		{[]string{"batch", "khong-co"}, `sohoa batch: lệnh không tồn tại: "khong-co"`},
		{[]string{"user", "cert"}, "sohoa user cert: hãy chọn một lệnh: add, list, remove"},
		{[]string{"help", "khong-co"}, `sohoa help: không có trợ giúp về "khong-co"`},
		{[]string{"audit", "--limit", "nhiều"}, `sohoa audit: giá trị "nhiều" không hợp lệ cho --limit`},
		{[]string{"import", "--batch"}, "sohoa import: --batch cần một giá trị"},
	} {
		var out, errb bytes.Buffer
		code := r.runIn(t.Context(), "", &out, &errb, c.args...)
		if code != exitUsage || !strings.HasPrefix(errb.String(), c.want+"\n") || !strings.Contains(errb.String(), "cách dùng: sohoa") || out.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, out.String(), errb.String(), c.want)
		}
	}
	var out, errb bytes.Buffer
	code := r.runIn(t.Context(), "", &out, &errb, "--json", "import", "--khong-co")
	var j struct {
		Error string
		Usage bool
	}
	if err := json.Unmarshal(out.Bytes(), &j); code != exitUsage || err != nil || j.Error != "tùy chọn không tồn tại: --khong-co" || !j.Usage {
		t.Errorf("--json: exit %d, stdout %q (%v)", code, out.String(), err)
	}
}

// TestOutDashIsStandardOutput: `--out -` writes to standard output and creates no file named
// "-", for every output-file flag (export, separator-sheet).
func TestOutDashIsStandardOutput(t *testing.T) {
	r := newRunner(t)
	r.withAdmin()
	b := r.must("batch", "new", "--name", "Lô xuất", "--json")
	var batch jsonBatch
	if err := json.Unmarshal([]byte(b.stdout), &batch); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	res := r.must("export", "--batch", batch.ID, "--format", "json", "--out", "-")
	var exp map[string]any
	if err := json.Unmarshal([]byte(res.stdout), &exp); err != nil {
		t.Fatalf("export --out -: %q %v", res.stdout, err)
	}
	res = r.must("separator-sheet", "--out", "-", "--label", "HỒ SƠ MỚI")
	if _, err := png.Decode(strings.NewReader(res.stdout)); err != nil {
		t.Fatalf("separator-sheet --out -: not a PNG on standard output: %v", err)
	}
	if _, err := os.Stat("-"); !os.IsNotExist(err) {
		t.Fatalf(`a file named "-" was written: %v`, err)
	}
	// A file name is still a file.
	res = r.must("separator-sheet", "--out", "to.png", "--json")
	if info, err := os.Stat("to.png"); err != nil || info.Size() == 0 || !strings.Contains(res.stdout, `"file": "to.png"`) {
		t.Fatalf("separator-sheet --out to.png: %v %q", err, res.stdout)
	}
}

// TestCompletion: `sohoa completion bash` prints cobra's script naming sohoa; the completions
// themselves carry the commands' descriptions in the run's language and offer the batches of
// the data folder for --batch.
func TestCompletion(t *testing.T) {
	r := newRunner(t)
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		res := r.must("completion", sh)
		if !strings.Contains(res.stdout, "sohoa") || len(res.stdout) < 1000 {
			t.Errorf("completion %s: %q", sh, res.stdout)
		}
	}
	if res := r.must("completion", "bash"); !strings.Contains(res.stdout, "__start_sohoa") {
		t.Errorf("bash script without __start_sohoa")
	}
	complete := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := r.runIn(t.Context(), "", &out, &errb, append([]string{"__complete", "--data", r.data}, args...)...); code != 0 {
			t.Fatalf("__complete %v: exit %d, %q", args, code, errb.String())
		}
		return out.String()
	}
	if got := complete("sc"); !strings.Contains(got, "scan\tquét trang vào lô") || !strings.Contains(got, "scanners\t") {
		t.Errorf("command completion: %q", got)
	}
	r.env["SOHOA_LANG"] = "en"
	if got := complete("sc"); !strings.Contains(got, "scan\tscan pages into a batch") {
		t.Errorf("English command completion: %q", got)
	}
	r.env["SOHOA_LANG"] = "vi"
	r.withAdmin()
	b := r.must("batch", "new", "--name", "Lô gợi ý", "--json")
	var batch jsonBatch
	if err := json.Unmarshal([]byte(b.stdout), &batch); err != nil {
		t.Fatal(err)
	}
	if got := complete("import", "--batch", ""); !strings.Contains(got, batch.ID+"\t") {
		t.Errorf("--batch completion: %q", got)
	}
}

// cancelOnWrite cancels a context at the first write that contains want.
type cancelOnWrite struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	want   string
	cancel context.CancelFunc
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.cancel()
	}
	return n, err
}

// TestCancelledCommandExits130: a command whose context is cancelled (main cancels it on
// SIGINT or SIGTERM) stops at a durable point, says so and exits 130: an import stopped
// after its first stored document keeps what it stored, and the same import again stores
// the rest, nothing twice; a folder being watched stops being watched.
func TestCancelledCommandExits130(t *testing.T) {
	r := newRunner(t)
	r.withAdmin()
	b := r.must("batch", "new", "--name", "Lô dừng", "--json")
	var batch jsonBatch
	if err := json.Unmarshal([]byte(b.stdout), &batch); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	const files = 12
	for i := range files {
		writePNG(t, filepath.Join(dir, fmt.Sprintf("trang %02d.png", i)), 300+i, 200) // each its own content
	}
	ctx, cancel := context.WithCancel(t.Context())
	out := &cancelOnWrite{want: `"event":"stored"`, cancel: cancel}
	var errb bytes.Buffer
	code := r.runIn(ctx, "", out, &errb, "--data", r.data, "import", "--batch", batch.ID, dir, "--json")
	if code != exitCancelled || !strings.Contains(errb.String(), "sohoa import: đã dừng") {
		t.Fatalf("import: exit %d, stderr %q", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.buf.String()), "\n")
	var last struct{ Error string }
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || !strings.Contains(last.Error, "đã dừng") {
		t.Fatalf("--json: the last line does not say cancelled: %q", lines[len(lines)-1])
	}
	var list []jsonBatch
	json.Unmarshal([]byte(r.must("list", "--json").stdout), &list)
	kept := list[0].Documents
	if len(list) != 1 || kept < 1 || kept >= files {
		t.Fatalf("after the cancelled import: %+v; want some but not all of %d documents", list, files)
	}
	res := r.must("import", "--batch", batch.ID, dir)
	if !strings.Contains(res.stdout, fmt.Sprintf("bỏ qua %d;", kept)) {
		t.Fatalf("import again: %s", res.stdout)
	}
	json.Unmarshal([]byte(r.must("list", "--json").stdout), &list)
	if list[0].Documents != files || list[0].Pages != files {
		t.Fatalf("after the second import: %+v", list)
	}

	// OCR stopped after its first page keeps the pages it recognised; the next run does the rest.
	ctx, cancel = context.WithCancel(t.Context())
	out = &cancelOnWrite{want: `"event":"page"`, cancel: cancel}
	code = r.runIn(ctx, "", out, &errb, "--data", r.data, "ocr", "--batch", batch.ID, "--workers", "1", "--json")
	if code != exitCancelled || !strings.Contains(errb.String(), "sohoa ocr: đã dừng") {
		t.Fatalf("ocr: exit %d, stderr %q", code, errb.String())
	}
	json.Unmarshal([]byte(r.must("list", "--json").stdout), &list)
	if done := list[0].OCRDone; done < 1 || done >= files {
		t.Fatalf("after the cancelled OCR: %+v; want some but not all of %d pages recognised", list, files)
	}
	r.must("ocr", "--batch", batch.ID)
	json.Unmarshal([]byte(r.must("list", "--json").stdout), &list)
	if list[0].OCRDone+list[0].OCRFailed != files {
		t.Fatalf("after the second OCR: %+v", list)
	}

	// watch runs until stopped: cancelled once it has said what it watches.
	ctx, cancel = context.WithCancel(t.Context())
	errw := &cancelOnWrite{want: dir, cancel: cancel}
	var outb bytes.Buffer
	code = r.runIn(ctx, "", &outb, errw, "--data", r.data, "watch", "--batch", batch.ID, dir)
	if code != exitCancelled || !strings.Contains(errw.buf.String(), "sohoa watch: đã dừng") {
		t.Fatalf("watch: exit %d, stderr %q", code, errw.buf.String())
	}
}

// TestExitCodes: each documented exit status, as a command returns it; the table in
// `sohoa help exit-codes` lists each of them.
func TestExitCodes(t *testing.T) {
	r := newRunner(t)
	res := r.must("help", "exit-codes")
	for _, code := range []int{exitOK, exitFailure, exitUsage, exitScannerFault, exitCancelled} {
		if !strings.Contains(res.stdout, fmt.Sprintf("\n  %d ", code)) {
			t.Errorf("exit-codes does not document %d:\n%s", code, res.stdout)
		}
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []int{exitOK, exitFailure, exitUsage, exitScannerFault, exitCancelled} {
		if !strings.Contains(string(readme), fmt.Sprintf("\n| %d | ", code)) {
			t.Errorf("README.md does not document exit status %d", code)
		}
	}
	r.withAdmin()
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "a.png"), 200, 100)
	if res := r.run("", "types"); res.code != exitOK {
		t.Errorf("types: %+v", res)
	}
	if res := r.run("", "import", "--batch", "00000000", dir); res.code != exitFailure {
		t.Errorf("import into no batch: %+v", res)
	}
	var out, errb bytes.Buffer
	if code := r.runIn(t.Context(), "", &out, &errb, "--data", r.data, "import", "--batch"); code != exitUsage {
		t.Errorf("import --batch without a value: exit %d, %q", code, errb.String())
	}
	if res := r.run("", "verify", filepath.Join(dir, "a.png"), "--integrity-only"); res.code != exitFailure {
		t.Errorf("verify of a file that is no signed PDF: %+v", res)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	out.Reset()
	errb.Reset()
	if code := r.runIn(ctx, "", &out, &errb, "--data", r.data, "ocr"); code != exitCancelled {
		t.Errorf("ocr with a cancelled context: exit %d, %q %q", code, out.String(), errb.String())
	}
	// exit 3 (scan: the scanner stopped) is asserted by TestScanJamThenContinue and TestScanFaultTextEnglish (scan_test.go).
}

// TestEveryCommandHasLongAndExample: `sohoa COMMAND --help` is complete for every command, in
// Vietnamese and English: a short and a long description and an example, each example line
// running that command with flags it has (a help topic has its text only).
func TestEveryCommandHasLongAndExample(t *testing.T) {
	flagRE := regexp.MustCompile(`(?:^|\s)--([a-z][a-z0-9-]*)`)
	for _, lang := range l10n.Languages() {
		n := 0
		walk((&cmdCtx{lang: lang}).newRoot(), func(cmd *cobra.Command) {
			if cmd.Hidden {
				return
			}
			n++
			path := cmd.CommandPath()
			if strings.TrimSpace(cmd.Long) == "" || strings.HasPrefix(cmd.Long, "cli.") {
				t.Errorf("%s: %s has no long description", lang, path)
			}
			if cmd.IsAdditionalHelpTopicCommand() {
				return
			}
			if strings.TrimSpace(cmd.Example) == "" {
				t.Errorf("%s: %s has no example", lang, path)
				return
			}
			for _, line := range strings.Split(cmd.Example, "\n") {
				i := strings.Index(line, path)
				if i < 0 {
					t.Errorf("%s: %s: example %q does not run it", lang, path, line)
					continue
				}
				// A group's example runs one of its commands: check that one's flags.
				run, rest := cmd, strings.Fields(line[i+len(path):])
				for len(rest) > 0 {
					var sub *cobra.Command
					for _, s := range run.Commands() {
						if s.Name() == rest[0] {
							sub = s
						}
					}
					if sub == nil {
						break
					}
					run, rest = sub, rest[1:]
				}
				for _, m := range flagRE.FindAllStringSubmatch(line[i+len(path):], -1) {
					if run.Flags().Lookup(m[1]) == nil && run.InheritedFlags().Lookup(m[1]) == nil {
						t.Errorf("%s: %s: example %q uses --%s, which %s has not", lang, path, line, m[1], run.CommandPath())
					}
				}
			}
			var out bytes.Buffer
			cmd.SetOut(&out)
			if err := cmd.Usage(); err != nil || !strings.Contains(out.String(), strings.SplitN(cmd.Example, "\n", 2)[0]) {
				t.Errorf("%s: %s: the usage does not show the example: %v\n%s", lang, path, err, out.String())
			}
		})
		if n < 50 {
			t.Errorf("%s: only %d commands", lang, n)
		}
	}
}

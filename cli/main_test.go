package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/ocr"
)

// TestMain lets the test binary play two other roles: an OCR worker child of the pool, and
// the sohoa command itself (SOHOA_CLI_CHILD=1), which the crash test runs and kills.
func TestMain(m *testing.M) {
	ocr.MaybeRunWorker()
	if os.Getenv("SOHOA_CLI_CHILD") == "1" {
		os.Exit(Run(context.Background(), os.Args[1:], Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
	}
	os.Exit(m.Run())
}

// runner runs commands in-process against one data folder.
type runner struct {
	t    *testing.T
	data string
	env  map[string]string
}

func newRunner(t *testing.T) *runner {
	data := t.TempDir()
	// SOHOA_DATA too: a command line that lacks --data (or whose --data a flag took as its
	// value) opens the test's folder, never the user's own.
	return &runner{t: t, data: data, env: map[string]string{"SOHOA_LANG": "vi", "SOHOA_DATA": data}}
}

type result struct {
	code           int
	stdout, stderr string
}

func (r *runner) run(stdin string, args ...string) result {
	r.t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{}, args...)
	full = append(full, "--data", r.data)
	code := Run(context.Background(), full, Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return r.env[k] }})
	return result{code, out.String(), errb.String()}
}

func (r *runner) must(args ...string) result {
	r.t.Helper()
	res := r.run("", args...)
	if res.code != 0 {
		r.t.Fatalf("sohoa %v: exit %d\nstdout: %s\nstderr: %s", args, res.code, res.stdout, res.stderr)
	}
	return res
}

// withAdmin creates the administrator and signs the runner in as it.
func (r *runner) withAdmin() {
	r.t.Helper()
	r.env["SOHOA_NEW_PASSWORD"] = "mật-khẩu-quản-trị"
	r.must("user", "add", "--username", "admin", "--name", "Trần Quản Trị", "--role", "admin,clerk,supervisor")
	delete(r.env, "SOHOA_NEW_PASSWORD")
	r.env["SOHOA_USER"] = "admin"
	r.env["SOHOA_PASSWORD"] = "mật-khẩu-quản-trị"
}

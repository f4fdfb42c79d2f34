package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestRealCLIErrorLanguage: the real command, as its own process, prints a store refusal that
// reached it wrapped ("%w (batch is capturing)") in Vietnamese when the environment names no
// language, and in English under SOHOA_LANG=en or an English locale; --json carries the same
// text. Wrapped errors are found with errors.As (internal/l10n), not by a type assertion.
func TestRealCLIErrorLanguage(t *testing.T) {
	r := newRunner(t)
	r.withAdmin()
	r.must("batch", "new", "--name", "Lô chưa duyệt")
	var list []struct{ ID string }
	if err := json.Unmarshal([]byte(r.must("list", "--json").stdout), &list); err != nil || len(list) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	p12 := t.TempDir() + "/khong-dung.p12"
	os.WriteFile(p12, []byte("not a p12"), 0o600)
	run := func(env ...string) result {
		t.Helper()
		cmd := exec.Command(os.Args[0], "sign", "--batch", list[0].ID, "--p12", p12, "--pin-stdin", "--data", r.data)
		for _, kv := range os.Environ() {
			switch k, _, _ := strings.Cut(kv, "="); k {
			case "SOHOA_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE":
			default:
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, "SOHOA_CLI_CHILD=1", "SOHOA_USER=admin", "SOHOA_PASSWORD="+r.env["SOHOA_PASSWORD"])
		cmd.Env = append(cmd.Env, env...)
		cmd.Stdin = strings.NewReader("pin\n")
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return result{code, out.String(), errb.String()}
	}
	const vi = "sohoa sign: chỉ ký được lô đã duyệt (batch is capturing)\n"
	const en = "sohoa sign: only an approved batch can be signed (batch is capturing)\n"
	for _, c := range []struct {
		env  []string
		want string
	}{
		{nil, vi},
		{[]string{"LANG=C.UTF-8"}, vi},
		{[]string{"SOHOA_LANG=en"}, en},
		{[]string{"LANG=en_US.UTF-8"}, en},
		{[]string{"LANG=en_US.UTF-8", "SOHOA_LANG=vi"}, vi},
	} {
		res := run(c.env...)
		if res.code != 1 || res.stderr != c.want {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.env, res.code, res.stderr, c.want)
		}
	}
	// The JSON form carries the same text.
	cmd := exec.Command(os.Args[0], "sign", "--json", "--batch", list[0].ID, "--p12", p12, "--pin-stdin", "--data", r.data)
	cmd.Env = append(os.Environ(), "SOHOA_CLI_CHILD=1", "SOHOA_LANG=vi", "SOHOA_USER=admin", "SOHOA_PASSWORD="+r.env["SOHOA_PASSWORD"])
	cmd.Stdin = strings.NewReader("pin\n")
	out, _ := cmd.Output()
	var j struct{ Error string }
	if err := json.Unmarshal(out, &j); err != nil || j.Error != strings.TrimSuffix(strings.TrimPrefix(vi, "sohoa sign: "), "\n") {
		t.Errorf("--json: %q (%v)", out, err)
	}
}

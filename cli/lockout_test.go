package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// child runs one sohoa command as its own process (this test binary in its sohoa role, as the
// crash test does), signed in as user with password: every attempt is a fresh process, so
// whatever holds the lock must be on disk.
func (r *runner) child(user, password string, args ...string) result {
	r.t.Helper()
	cmd := exec.Command(os.Args[0], append(args, "--data", r.data)...)
	cmd.Env = append(os.Environ(), "SOHOA_CLI_CHILD=1", "SOHOA_LANG=vi", "SOHOA_USER="+user, "SOHOA_PASSWORD="+password)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

// TestLoginLockoutRealCLI: 50 wrong passwords through the real command, each its own process;
// then the right password is refused while the delay lasts; an administrator unlocks the
// account and the right password works; the audit log shows the failures, the lock and the
// unlock. A user name that does not exist gets the same answers.
func TestLoginLockoutRealCLI(t *testing.T) {
	r := newRunner(t)
	r.withAdmin()
	r.addUser("thu", "Lê Thị Thu", "clerk")

	answers := func(user string, n int) []string {
		var got []string
		for i := 0; i < n; i++ {
			res := r.child(user, "sai-mật-khẩu-"+strings.Repeat("x", i%3), "list")
			switch {
			case res.code == 1 && strings.Contains(res.stderr, "Sai tên đăng nhập hoặc mật khẩu"):
				got = append(got, "bad")
			case res.code == 1 && strings.Contains(res.stderr, "đăng nhập sai quá nhiều lần: tạm khóa, hãy thử lại sau"):
				got = append(got, "locked")
			default:
				t.Fatalf("attempt %d as %s: %+v", i+1, user, res)
			}
		}
		return got
	}
	got := answers("thu", 50)
	for i, a := range got {
		want := "bad"
		if i >= 5 {
			want = "locked"
		}
		if a != want {
			t.Fatalf("attempt %d: %s, want %s (all: %v)", i+1, a, want, got)
		}
	}
	// The right password, while the delay lasts (30 s from the fifth failure; the refused
	// attempts since did not count and checked no password).
	res := r.child("thu", testPassword, "list")
	if res.code != 1 || !strings.Contains(res.stderr, "tạm khóa") || !strings.Contains(res.stderr, "giây") {
		t.Fatalf("right password while locked: %+v", res)
	}
	// The administrator sees the lock and lifts it.
	var users []struct {
		Username    string `json:"username"`
		Failures    int    `json:"failed_logins"`
		LockedUntil string `json:"locked_until"`
	}
	if err := json.Unmarshal([]byte(r.child("admin", "mật-khẩu-quản-trị", "user", "list", "--json").stdout), &users); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Username == "thu" && (u.Failures != 5 || u.LockedUntil == "") {
			t.Fatalf("user list: %+v", u)
		}
	}
	if res := r.child("thu", testPassword, "user", "unlock", "thu"); res.code != 1 {
		t.Fatalf("a locked clerk unlocked herself: %+v", res)
	}
	if res := r.child("admin", "mật-khẩu-quản-trị", "user", "unlock", "thu"); res.code != 0 || !strings.Contains(res.stdout, "đã mở khóa") {
		t.Fatalf("unlock: %+v", res)
	}
	if res := r.child("thu", testPassword, "list"); res.code != 0 {
		t.Fatalf("right password after unlock: %+v", res)
	}
	var events []struct {
		Actor, Action, Object, Detail string
	}
	if err := json.Unmarshal([]byte(r.child("admin", "mật-khẩu-quản-trị", "audit", "--json", "--limit", "0").stdout), &events); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range events {
		count[e.Action+" "+e.Object]++
		if strings.Contains(e.Detail, "sai-mật-khẩu") || strings.Contains(e.Detail, testPassword) {
			t.Fatalf("a password in the audit log: %+v", e)
		}
		if e.Action == "login.locked" && e.Detail != "failures=5 delay=30s" {
			t.Fatalf("lock event: %+v", e)
		}
		if e.Action == "user.unlock" && (e.Actor != "admin" || e.Detail != "failures=5 locked=1") {
			t.Fatalf("unlock event: %+v", e)
		}
	}
	if count["login.fail user:2"] != 5 || count["login.locked user:2"] != 1 || count["user.unlock user:2"] != 1 {
		t.Fatalf("audit events: %v", count)
	}
	if res := r.child("admin", "mật-khẩu-quản-trị", "audit", "--verify"); res.code != 0 {
		t.Fatalf("audit --verify: %+v", res)
	}

	// A name that does not exist: the same answers, so they do not tell it apart.
	unknown := answers("khong-co-ai", 8)
	if strings.Join(unknown, ",") != strings.Join(got[:8], ",") {
		t.Fatalf("unknown name: %v, account: %v", unknown, got[:8])
	}
}

// TestUserChangeCommands: an administrator changes roles, resets a password, disables and
// enables an account; each is an audit event naming no password, and takes effect at the next
// sign-in. A clerk may change only her own password.
func TestUserChangeCommands(t *testing.T) {
	r := newRunner(t)
	r.withAdmin()
	r.addUser("thu", "Lê Thị Thu", "clerk")
	r.must("user", "roles", "thu", "--role", "clerk,supervisor")
	r.env["SOHOA_NEW_PASSWORD"] = "mật-khẩu-mới-của-thu"
	r.must("user", "passwd", "thu")
	r.must("user", "disable", "thu")
	r.env["SOHOA_USER"], r.env["SOHOA_PASSWORD"] = "thu", "mật-khẩu-mới-của-thu"
	if res := r.run("", "list"); res.code != 1 || !strings.Contains(res.stderr, "đã bị khóa") {
		t.Fatalf("disabled user: %+v", res)
	}
	r.signIn("admin").must("user", "enable", "thu")
	r.env["SOHOA_USER"], r.env["SOHOA_PASSWORD"] = "thu", "mật-khẩu-mới-của-thu"
	r.must("list")
	if res := r.run("", "user", "passwd", "admin"); res.code != 1 || !strings.Contains(res.stderr, "không được phép") {
		t.Fatalf("a clerk reset the admin's password: %+v", res)
	}
	if res := r.run("", "user", "roles", "thu", "--role", "admin"); res.code != 1 {
		t.Fatalf("a clerk made herself admin: %+v", res)
	}
	r.env["SOHOA_NEW_PASSWORD"] = "mật-khẩu-thu-tự-đổi"
	r.must("user", "passwd", "thu")
	delete(r.env, "SOHOA_NEW_PASSWORD")
	if res := r.signIn("admin").run("", "user", "roles", "admin", "--role", "clerk"); res.code != 1 || !strings.Contains(res.stderr, "quản trị viên") {
		t.Fatalf("the last admin dropped the role: %+v", res)
	}
	audit := r.must("audit", "--limit", "0").stdout
	for _, want := range []string{"user.roles", "roles=clerk,supervisor", "user.password", "by=admin", "by=self", "user.disable", "user.enable"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %q:\n%s", want, audit)
		}
	}
	if strings.Contains(audit, "mật-khẩu") {
		t.Fatal("a password in the audit log")
	}
	r.must("audit", "--verify")
}

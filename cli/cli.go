package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
)

// Env is what a command sees of the world.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	IsTerminal     bool // stdin is a terminal: prompts are allowed
}

// command is one sub-command.
type command struct {
	name, usage, summary string
	run                  func(ctx context.Context, c *cmdCtx, args []string) error
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// exitError carries an exit status without more output.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// cmdCtx holds the global options and lazily opened resources of one command run.
type cmdCtx struct {
	env     Env
	dataDir string
	json    bool
	lang    string // "vi" or "en"
	fs      *flag.FlagSet
	store   *queue.Store
	user    *queue.User
	userArg string
	pwStdin bool
	in      *bufio.Reader
}

// DefaultDataDir is where the workstation keeps its data unless told otherwise:
// $SOHOA_DATA, else the platform's per-user data folder.
func DefaultDataDir(getenv func(string) string) string {
	if d := getenv("SOHOA_DATA"); d != "" {
		return d
	}
	switch runtime.GOOS {
	case "windows":
		if d := getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, "SoHoa")
		}
	case "darwin":
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, "Library", "Application Support", "SoHoa")
		}
	}
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "sohoa")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "sohoa")
	}
	return "sohoa-data"
}

// Lang picks the message language from the environment (l10n.FromEnv): SOHOA_LANG, LC_ALL,
// LC_MESSAGES or LANG, the first that names Vietnamese or English; Vietnamese otherwise.
func Lang(getenv func(string) string) string { return l10n.FromEnv(getenv) }

// Run runs one command line (without the program name) and returns the exit status.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	c := &cmdCtx{env: env, lang: Lang(env.Getenv)}
	defer func() {
		if c.store != nil {
			c.store.Close()
		}
	}()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		c.printHelp(env.Stdout)
		return 0
	}
	cmd := commands[args[0]]
	if cmd == nil {
		fmt.Fprintf(env.Stderr, "%s: %q\n", c.t("unknown command", "lệnh không tồn tại"), args[0])
		c.printHelp(env.Stderr)
		return 2
	}
	err := cmd.run(ctx, c, args[1:])
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(env.Stderr, "sohoa %s: %s\n%s: sohoa %s %s\n", cmd.name, ue.msg, c.t("usage", "cách dùng"), cmd.name, cmd.usage)
		return 2
	}
	if c.json {
		json.NewEncoder(env.Stdout).Encode(map[string]string{"error": c.errText(err)})
	}
	fmt.Fprintf(env.Stderr, "sohoa %s: %s\n", cmd.name, c.errText(err))
	return 1
}

func (c *cmdCtx) printHelp(w io.Writer) {
	fmt.Fprintln(w, c.t("SoHoa — document digitization workstation.", "SoHoa — trạm số hóa hồ sơ."))
	fmt.Fprintln(w, c.t("Without a command it opens the workstation window.", "Không có lệnh: mở cửa sổ làm việc."))
	fmt.Fprintln(w)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  sohoa %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, c.t("Every command accepts --data DIR and --json.",
		"Mọi lệnh nhận --data DIR và --json."))
	fmt.Fprintln(w, c.t("Sign-in: SOHOA_USER and SOHOA_PASSWORD, or --user U with the password on standard input (--password-stdin) or at the prompt.",
		"Đăng nhập: SOHOA_USER và SOHOA_PASSWORD, hoặc --user U với mật khẩu từ đầu vào chuẩn (--password-stdin) hay nhập khi được hỏi."))
}

// t returns the text in the run's language.
func (c *cmdCtx) t(en, vi string) string {
	if c.lang == "en" {
		return en
	}
	return vi
}

// newFlags makes a command's flag set with the global options.
func (c *cmdCtx) newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.dataDir, "data", "", c.t("data folder", "thư mục dữ liệu"))
	fs.BoolVar(&c.json, "json", false, c.t("machine-readable output", "kết quả dạng JSON"))
	fs.StringVar(&c.userArg, "user", "", c.t("user name (else $SOHOA_USER)", "tên đăng nhập (hoặc $SOHOA_USER)"))
	fs.BoolVar(&c.pwStdin, "password-stdin", false, c.t("read the password from standard input", "đọc mật khẩu từ đầu vào chuẩn"))
	c.fs = fs
	return fs
}

// parse parses flags anywhere among the arguments and returns the positional ones.
func (c *cmdCtx) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if rest[0] == "--" {
			pos = append(pos, rest[1:]...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if c.dataDir == "" {
		c.dataDir = DefaultDataDir(c.env.Getenv)
	}
	return pos, nil
}

// open opens the store in the data folder.
func (c *cmdCtx) open() (*queue.Store, error) {
	if c.store != nil {
		return c.store, nil
	}
	st, err := queue.Open(c.dataDir)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", c.t("cannot open the data folder", "không mở được thư mục dữ liệu"), c.dataDir, err)
	}
	// The bundled record types (assets/records) become batch types; unchanged ones write nothing.
	if _, err := records.Register(context.Background(), st); err != nil {
		st.Close()
		return nil, err
	}
	c.store = st
	return st, nil
}

// errText turns an error into a message for the person at the terminal, in the run's
// language: the core's errors say themselves wherever they sit in a wrapped chain
// (internal/l10n); others read as they are.
func (c *cmdCtx) errText(err error) string {
	if errors.Is(err, queue.ErrNoUsers) { // the command line's own advice
		return c.t("no users yet: create the administrator first with `sohoa user add --username NAME --role admin`",
			"chưa có người dùng: hãy tạo quản trị viên trước bằng `sohoa user add --username TÊN --role admin`")
	}
	return l10n.Text(c.lang, err)
}

func (c *cmdCtx) printJSON(v any) error {
	enc := json.NewEncoder(c.env.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// printJSONLine writes one compact JSON object per line (for streams of events).
func (c *cmdCtx) printJSONLine(v any) {
	enc := json.NewEncoder(c.env.Stdout)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

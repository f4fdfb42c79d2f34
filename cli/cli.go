package cli

import (
	"bufio"
	"context"
	"embed"
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
		fmt.Fprintf(env.Stderr, "%s: %q\n", c.tr("cli.common.unknownCommand"), args[0])
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
		fmt.Fprintf(env.Stderr, "sohoa %s: %s\n%s: sohoa %s %s\n", cmd.name, ue.msg, c.tr("cli.common.usage"), cmd.name, cmd.usage)
		return 2
	}
	if c.json {
		json.NewEncoder(env.Stdout).Encode(map[string]string{"error": c.errText(err)})
	}
	fmt.Fprintf(env.Stderr, "sohoa %s: %s\n", cmd.name, c.errText(err))
	return 1
}

func (c *cmdCtx) printHelp(w io.Writer) {
	fmt.Fprintln(w, c.tr("cli.common.sohoaDocumentDigitizationWorkstation"))
	fmt.Fprintln(w, c.tr("cli.common.withoutCommandItOpens"))
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
	fmt.Fprintln(w, c.tr("cli.common.everyCommandAcceptsData"))
	fmt.Fprintln(w, c.tr("cli.common.signInSohoaUser"))
}

//go:embed translations/*.json
var translationsFS embed.FS

// cliCatalogue holds the command line's own messages (translations/{vi,en}.json), registered
// with internal/l10n beside the core's and the app's.
var cliCatalogue = l10n.MustRegister("cli", translationsFS, "translations")

// tr is the message key in the run's language; data fills its {{.Name}} placeholders.
func (c *cmdCtx) tr(key string, data ...any) string { return l10n.T(c.lang, key, data...) }

// dataName picks the run's language from a name that data carries in both (a record type's
// NameVi and NameEn): data, not a message of the catalogue.
func (c *cmdCtx) dataName(vi, en string) string {
	if l10n.Lang(c.lang) == l10n.En && en != "" {
		return en
	}
	return vi
}

// newFlags makes a command's flag set with the global options.
func (c *cmdCtx) newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.dataDir, "data", "", c.tr("cli.common.dataFolder"))
	fs.BoolVar(&c.json, "json", false, c.tr("cli.common.machineReadableOutput"))
	fs.StringVar(&c.userArg, "user", "", c.tr("cli.common.userNameElseSohoa"))
	fs.BoolVar(&c.pwStdin, "password-stdin", false, c.tr("cli.common.readPasswordFromStandard"))
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
		return nil, fmt.Errorf("%s %s: %w", c.tr("cli.common.cannotOpenDataFolder"), c.dataDir, err)
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
		return c.tr("cli.common.noUsersYetCreate")
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

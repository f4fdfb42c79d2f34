package cli

import (
	"bufio"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/spf13/pflag"

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

// runFunc runs a command once its flags are parsed: args are the positional arguments.
type runFunc func(ctx context.Context, args []string) error

// leafDef defines a command's own flags on fs (their help texts come from the catalogue,
// see describe) and returns what runs the command with them.
type leafDef func(c *cmdCtx, fs *pflag.FlagSet) runFunc

// command is one command of the tree, by its path ("user cert add").
type command struct {
	path string
	use  string // the arguments of the usage line: "--batch ID FILE|FOLDER…"
	def  leafDef
}

var commands []command

// register adds a command. A path whose first words are no command of their own makes them
// a group ("user cert add" makes "user" and "user cert").
func register(path, use string, def leafDef) {
	commands = append(commands, command{path: path, use: use, def: def})
}

// Exit statuses (documented in `sohoa help exit-codes` and README.md).
const (
	exitOK           = 0
	exitFailure      = 1   // the command failed, or found what it checks wrong (verify, validate, audit)
	exitUsage        = 2   // a mistake in the command line
	exitScannerFault = 3   // scan: the scanner stopped (jam, cover open); the pages before are kept
	exitCancelled    = 130 // interrupted (Ctrl-C, SIGTERM) at a durable point
)

// cmdCtx holds the global options and lazily opened resources of one command run.
type cmdCtx struct {
	env     Env
	dataDir string
	json    bool
	lang    string // "vi" or "en"
	store   *queue.Store
	user    *queue.User
	userArg string
	pwStdin bool
	pw      string // the password the run signed in with (sohoa encrypt wraps the data key with it)
	in      *bufio.Reader
	ran     bool // a command's run began (its flags were right)
	version bool // --version: print the build and the libraries (cmd_version.go)
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
	// The administrative-unit catalogue an administrator loaded into this folder (`sohoa
	// catalogue load`), checked when it was loaded; the bundled one when there is none.
	if _, err := records.UseDataDir(st.Dir()); err != nil {
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

package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
)

// exitError carries an exit status without more output.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Run runs one command line (without the program name) and returns the exit status.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	c := &cmdCtx{env: env, lang: Lang(env.Getenv)}
	defer func() {
		if c.store != nil {
			c.store.Close()
		}
	}()
	root := c.newRoot()
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	return c.exit(ctx, cmd, err)
}

// exit turns what a command returned into its exit status, saying the error on standard
// error ("sohoa CMD: message") and, with --json, as one JSON document on standard output.
func (c *cmdCtx) exit(ctx context.Context, cmd *cobra.Command, err error) int {
	prefix := "sohoa"
	if cmd != nil && cmd.HasParent() {
		prefix = cmd.CommandPath()
	}
	var ue usageError
	isUsage := errors.As(err, &ue)
	if ctx.Err() != nil && c.ran && !isUsage {
		msg := c.tr("cli.common.cancelled")
		if c.json {
			c.printJSONLine(map[string]any{"error": msg, "cancelled": true})
		}
		fmt.Fprintf(c.env.Stderr, "%s: %s\n", prefix, msg)
		return exitCancelled
	}
	if err == nil {
		return exitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if isUsage {
		if c.json {
			c.printJSONLine(map[string]any{"error": ue.msg, "usage": true})
		}
		fmt.Fprintf(c.env.Stderr, "%s: %s\n", prefix, ue.msg)
		if cmd != nil {
			fmt.Fprintf(c.env.Stderr, "%s: %s\n%s\n", c.tr("cli.common.usage"), cmd.UseLine(),
				c.tr("cli.common.seeHelp", l10n.Args{"Cmd": cmd.CommandPath()}))
		}
		return exitUsage
	}
	if c.json {
		c.printJSONLine(map[string]string{"error": c.errText(err)})
	}
	fmt.Fprintf(c.env.Stderr, "%s: %s\n", prefix, c.errText(err))
	return exitFailure
}

// newRoot builds the command tree of one run: every text in the run's language.
func (c *cmdCtx) newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:               "sohoa",
		SilenceErrors:     true,
		SilenceUsage:      true,
		DisableAutoGenTag: true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{c.tr("cli.common.unknownCommand", l10n.Args{"Name": args[0]})}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if c.version {
				return c.printVersion()
			}
			return cmd.Help()
		},
	}
	root.Flags().BoolVar(&c.version, "version", false, "")
	root.SetOut(c.env.Stdout)
	root.SetErr(c.env.Stderr)
	root.SetIn(c.env.Stdin)
	pf := root.PersistentFlags()
	pf.StringVar(&c.dataDir, "data", "", "")
	pf.BoolVar(&c.json, "json", false, "")
	pf.StringVar(&c.userArg, "user", "", "")
	pf.BoolVar(&c.pwStdin, "password-stdin", false, "")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError{c.flagError(err)} })

	byPath := map[string]*cobra.Command{"": root}
	var group func(path string) *cobra.Command
	group = func(path string) *cobra.Command {
		if cmd := byPath[path]; cmd != nil {
			return cmd
		}
		parentPath, name := "", path
		if i := strings.LastIndexByte(path, ' '); i >= 0 {
			parentPath, name = path[:i], path[i+1:]
		}
		cmd := &cobra.Command{Use: name, RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{c.tr("cli.common.unknownCommand", l10n.Args{"Name": args[0]})}
			}
			var subs []string
			for _, s := range cmd.Commands() {
				if s.IsAvailableCommand() {
					subs = append(subs, s.Name())
				}
			}
			return usageError{c.tr("cli.common.whichCommand", l10n.Args{"Commands": strings.Join(subs, ", ")})}
		}}
		group(parentPath).AddCommand(cmd)
		byPath[path] = cmd
		return cmd
	}
	sorted := append([]command(nil), commands...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].path < sorted[j].path })
	for _, d := range sorted {
		cmd := group(d.path)
		cmd.Use = cmd.Name()
		if d.use != "" {
			cmd.Use += " " + d.use
		}
		run := d.def(c, cmd.Flags())
		cmd.Args = cobra.ArbitraryArgs
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			if c.dataDir == "" {
				c.dataDir = DefaultDataDir(c.env.Getenv)
			}
			c.ran = true
			return run(cmd.Context(), args)
		}
		if cmd.Flags().Lookup("batch") != nil {
			_ = cmd.RegisterFlagCompletionFunc("batch", c.completeBatch)
		}
	}
	root.AddCommand(&cobra.Command{Use: "exit-codes"}) // a help topic: `sohoa help exit-codes`
	root.SetHelpCommand(&cobra.Command{
		Use: "help [COMMAND]",
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			target, _, err := root.Find(args)
			if err != nil || target == nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, s := range target.Commands() {
				if (s.IsAvailableCommand() || s.IsAdditionalHelpTopicCommand()) && strings.HasPrefix(s.Name(), toComplete) {
					out = append(out, cobra.CompletionWithDesc(s.Name(), s.Short))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := root.Find(args)
			if err != nil || target == nil || len(rest) > 0 {
				return usageError{c.tr("cli.common.unknownHelpTopic", l10n.Args{"Topic": strings.Join(args, " ")})}
			}
			return target.Help()
		},
	})
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	c.describe(root)
	return root
}

// describe gives every command of the tree its texts from the catalogue, by its path
// (cli.user.cert.add.short, .long, .example, .flag.NAME; a flag without its own text takes
// cli.flag.NAME), and the usage in the run's language (usage).
func (c *cmdCtx) describe(cmd *cobra.Command) {
	cmd.InitDefaultHelpFlag()
	cmd.DisableFlagsInUseLine = true
	key := "cli.cmd"
	if cmd.HasParent() {
		key += "." + strings.ReplaceAll(strings.TrimPrefix(cmd.CommandPath(), "sohoa "), " ", ".")
	}
	if l10n.Has(key + ".short") {
		cmd.Short = c.tr(key+".short", l10n.Args{"Cmd": cmd.CommandPath()})
	}
	if l10n.Has(key + ".long") {
		cmd.Long = c.tr(key+".long", l10n.Args{"Cmd": cmd.CommandPath()})
	}
	if l10n.Has(key + ".example") {
		cmd.Example = c.tr(key+".example", l10n.Args{"Cmd": cmd.CommandPath()})
	}
	fill := func(f *pflag.Flag) {
		switch {
		case l10n.Has(key + ".flag." + f.Name):
			f.Usage = c.tr(key+".flag."+f.Name, l10n.Args{"Cmd": cmd.CommandPath()})
		case l10n.Has("cli.flag." + f.Name):
			f.Usage = c.tr("cli.flag."+f.Name, l10n.Args{"Cmd": cmd.CommandPath()})
		}
	}
	cmd.LocalNonPersistentFlags().VisitAll(fill)
	cmd.PersistentFlags().VisitAll(fill)
	cmd.SetUsageFunc(c.usage)
	for _, s := range cmd.Commands() {
		c.describe(s)
	}
}

// usage writes a command's usage (cobra's layout) with every word in the run's language:
// the headings, the flags' value names and their defaults.
func (c *cmdCtx) usage(cmd *cobra.Command) error {
	w := cmd.OutOrStderr()
	h := func(key string) string { return c.tr("cli.help."+key, l10n.Args{"Cmd": cmd.CommandPath()}) }
	fmt.Fprint(w, h("usage")+":")
	if cmd.Runnable() {
		fmt.Fprintf(w, "\n  %s", cmd.UseLine())
	}
	if cmd.HasAvailableSubCommands() {
		fmt.Fprintf(w, "\n  %s %s", cmd.CommandPath(), h("commandArg"))
	}
	if cmd.Example != "" {
		fmt.Fprintf(w, "\n\n%s:", h("examples"))
		for _, l := range strings.Split(cmd.Example, "\n") {
			fmt.Fprintf(w, "\n  %s", l)
		}
	}
	if cmd.HasAvailableSubCommands() {
		fmt.Fprintf(w, "\n\n%s:", h("commands"))
		for _, s := range cmd.Commands() {
			if s.IsAvailableCommand() || s.Name() == "help" {
				fmt.Fprintf(w, "\n  %-*s %s", s.NamePadding(), s.Name(), s.Short)
			}
		}
	}
	if cmd.HasAvailableLocalFlags() {
		fmt.Fprintf(w, "\n\n%s:\n%s", h("flags"), c.flagUsages(cmd.LocalFlags()))
	}
	if cmd.HasAvailableInheritedFlags() {
		fmt.Fprintf(w, "\n\n%s:\n%s", h("globalFlags"), c.flagUsages(cmd.InheritedFlags()))
	}
	if cmd.HasHelpSubCommands() {
		fmt.Fprintf(w, "\n\n%s:", h("topics"))
		for _, s := range cmd.Commands() {
			if s.IsAdditionalHelpTopicCommand() {
				fmt.Fprintf(w, "\n  %-*s %s", s.CommandPathPadding(), s.CommandPath(), s.Short)
			}
		}
	}
	if cmd.HasAvailableSubCommands() {
		fmt.Fprintf(w, "\n\n%s", h("more"))
	}
	fmt.Fprintln(w)
	return nil
}

// flagUsages lists flags as pflag does, with the value's kind and the default in the run's
// language.
func (c *cmdCtx) flagUsages(fs *pflag.FlagSet) string {
	type line struct{ left, usage string }
	var lines []line
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		left := "      --" + f.Name
		if f.Shorthand != "" {
			left = "  -" + f.Shorthand + ", --" + f.Name
		}
		if f.Value.Type() != "bool" {
			left += " " + c.tr("cli.help.value."+f.Value.Type())
		}
		usage := f.Usage
		switch f.DefValue {
		case "", "false", "0", "[]", "0s":
		default:
			usage += " (" + c.tr("cli.help.default", l10n.Args{"Value": f.DefValue}) + ")"
		}
		lines = append(lines, line{left, usage})
		width = max(width, len([]rune(left)))
	})
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l.left + strings.Repeat(" ", width-len([]rune(l.left))+3) + l.usage)
	}
	return b.String()
}

// flagError says a mistake pflag found in the run's language.
func (c *cmdCtx) flagError(err error) string {
	var ne *pflag.NotExistError
	var vr *pflag.ValueRequiredError
	var iv *pflag.InvalidValueError
	var is *pflag.InvalidSyntaxError
	switch {
	case errors.As(err, &ne) && ne.GetSpecifiedShortnames() != "":
		return c.tr("cli.common.unknownFlag", l10n.Args{"Flag": "-" + ne.GetSpecifiedShortnames()})
	case errors.As(err, &ne):
		return c.tr("cli.common.unknownFlag", l10n.Args{"Flag": "--" + ne.GetSpecifiedName()})
	case errors.As(err, &vr):
		return c.tr("cli.common.flagNeedsValue", l10n.Args{"Flag": "--" + vr.GetFlag().Name})
	case errors.As(err, &iv):
		return c.tr("cli.common.flagBadValue", l10n.Args{"Flag": "--" + iv.GetFlag().Name, "Value": iv.GetValue()})
	case errors.As(err, &is):
		return c.tr("cli.common.flagSyntax", l10n.Args{"Flag": is.GetSpecifiedFlag()})
	}
	return err.Error()
}

// completeBatch offers the batches of the data folder for a --batch flag (shell completion).
func (c *cmdCtx) completeBatch(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if c.dataDir == "" {
		c.dataDir = DefaultDataDir(c.env.Getenv)
	}
	if _, err := os.Stat(c.dataDir); err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	st, err := c.open()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	batches, err := st.ListBatches(cmd.Context(), queue.BatchFilter{})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, b := range batches {
		if strings.HasPrefix(b.ID, toComplete) {
			out = append(out, cobra.CompletionWithDesc(b.ID, strings.TrimSpace(string(b.State)+" "+b.Name)))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// stdoutIsTerminal reports whether standard output is a terminal.
func (c *cmdCtx) stdoutIsTerminal() bool {
	f, ok := c.env.Stdout.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// outputToStdout tells whether an output-file flag points: "-" is standard output (binary output
// to a terminal is refused), anything else a file.
func (c *cmdCtx) outputToStdout(name string, binary bool) (bool, error) {
	if name != "-" {
		return false, nil
	}
	if binary && c.stdoutIsTerminal() {
		return true, usageError{c.tr("cli.common.binaryToTerminal")}
	}
	return true, nil
}

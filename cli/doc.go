// Package cli is SoHoa's command line: every step of the flow (users, batches, import, OCR,
// keying, review, signing, sync) run headless, for scripts and tests. The commands are a
// spf13/cobra tree built per run (root.go): each file cmd_<name>.go registers its commands by
// path ("user cert add") with a definition that declares the flags and returns what runs.
// Every text, help included, is a key of translations/{vi,en}.json (internal/l10n), said in
// the run's language. Every command works non-interactively: passwords come from the
// environment or standard input, never from an argument.
package cli

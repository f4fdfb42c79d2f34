// Package cli is SoHoa's command line: every step of the flow (users, batches, import, OCR,
// search, export) run headless, for scripts and tests. Each command is one file cmd_<name>.go.
// Every command works non-interactively: passwords come from the environment or standard
// input, never from an argument.
package cli

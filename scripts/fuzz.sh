#!/usr/bin/env bash
# Run every fuzz target of the project for a while (default 30s each). New failing inputs land
# in the package's testdata/fuzz/<Target>/ and become regression seeds of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
time_each=${1:-30s}
for pkg in $(go list -tags sqlite_fts5 ./...); do
	for target in $(go test -tags sqlite_fts5 -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
		echo "== $pkg $target ($time_each)"
		go test -tags sqlite_fts5 -run '^$' -fuzz "^${target}\$" -fuzztime "$time_each" "$pkg"
	done
done

#!/usr/bin/env bash
# Builds the SeaweedFS `weed` binary that the S3 blob-store tests run against (issue 16), once, and
# caches it: $SOHOA_CACHE (default $HOME/.cache/sohoa)/weed-<version>. Skipped when present.
# `go install …@version` refuses the module's replace directives, so: go mod download that exact
# version, copy the module folder writable, `go build ./weed` inside it (~6 min on 2 cores).
# Prints the binary's path on its last line.
set -euo pipefail
VERSION=v0.0.0-20261109003541-7506e5f91cd6
CACHE=${SOHOA_CACHE:-$HOME/.cache/sohoa}
OUT=$CACHE/weed-$VERSION
if [ -x "$OUT" ]; then echo "$OUT"; exit 0; fi
mkdir -p "$CACHE"
dir=$(cd "$CACHE" && go mod download -json "github.com/seaweedfs/seaweedfs@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$dir" ] && [ -d "$dir" ] || { echo "build-seaweedfs: go mod download gave no folder" >&2; exit 1; }
work=$(mktemp -d "$CACHE/weed-src.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cp -r "$dir/." "$work/"
chmod -R u+w "$work"
(cd "$work" && GOFLAGS=-buildvcs=false CGO_ENABLED=0 nice go build -o "$OUT.tmp" ./weed)
mv "$OUT.tmp" "$OUT"
echo "$OUT"

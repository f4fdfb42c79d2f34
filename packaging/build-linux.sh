#!/usr/bin/env bash
# Build a Linux desktop package with the fyne tool (fyne.io/tools, from the Go module proxy).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$HOME/go/bin:$PATH
command -v fyne >/dev/null || go install fyne.io/tools/cmd/fyne@v1.7.4
fyne package -os linux -tags sqlite_fts5 --name SoHoa --app-id vn.sohoa.workstation --icon assets/icons/sohoa.png
ls -la ./*.tar.xz

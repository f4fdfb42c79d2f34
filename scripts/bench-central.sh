#!/usr/bin/env bash
# Issue 16: the central server under load. 100 simulated workstations (cmd/sohoa-load,
# internal/loadgen) against one server on local disk and against two servers on PostgreSQL +
# SeaweedFS behind HAProxy, in the same run, then the two again with one killed (-9) a third
# of the way through. Writes bench/REPORT-central.md. Needs `make setup` (PostgreSQL,
# HAProxy, the SeaweedFS build).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
TAGS=sqlite_fts5
mkdir -p bin bench
go build -tags $TAGS -o bin/sohoa-central ./cmd/sohoa-central
go build -tags $TAGS -o bin/sohoa-load ./cmd/sohoa-load
./bin/sohoa-load -central bin/sohoa-central -workstations "${LOAD_WORKSTATIONS:-100}" -batches "${LOAD_BATCHES:-2}" \
	-docs "${LOAD_DOCS:-2}" -page "${LOAD_PAGE:-512}" -flaky "${LOAD_FLAKY:-10}" -out bench/REPORT-central.md
echo "wrote bench/REPORT-central.md"

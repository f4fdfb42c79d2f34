# SoHoa — the two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)
export CGO_ENABLED := 1
TAGS := sqlite_fts5
GO ?= go
BIN := bin/sohoa
# Debian packages the project needs: build (cgo: Tesseract, Leptonica, SANE, GL/X11 for Fyne),
# OCR language data, and the real tools the tests run against.
DEB_PACKAGES := gcc g++ pkg-config make git ca-certificates \
	libtesseract-dev libleptonica-dev tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng tesseract-ocr-osd \
	libgl1-mesa-dev xorg-dev libgl1-mesa-dri xvfb xauth x11-utils \
	libsane-dev libsane1 sane-utils \
	poppler-utils qpdf libtiff-tools fonts-noto-core fonts-dejavu-core \
	softhsm2 postgresql
DEB_PACKAGES += xdotool  # issue 13: make screenshots drives the real window under Xvfb
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DATA ?=

# STATICCHECK is pinned; `make setup` installs it into bin/.
STATICCHECK_VERSION := v0.8.2
STATICCHECK := bin/staticcheck
# Packages with concurrency of their own that the race detector runs over in `make test` (-short:
# the Tesseract-heavy cases are run once, without it, by the main pass). The GUI (Fyne/GLFW) and
# the image-generation packages are too slow under -race to repeat here.
RACE_PKGS := ./queue/... ./sync/... ./sign/... ./pipeline/... ./capture ./capture/sane ./capture/escl ./capture/hotfolder ./ocr

.PHONY: all setup deps build run test test-race test-short check bench fuzz clean screenshots

all: build

## setup: install the Debian packages that are missing, then the Go modules.
setup: .setup-done

.setup-done: Makefile go.mod go.sum
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "setup: installing Debian packages:" $$missing; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "setup: Debian packages present"; fi
	@command -v $(GO) >/dev/null || { echo "setup: Go 1.26 is required (https://go.dev/dl): not found on PATH"; exit 1; }
	$(GO) mod download
	GOBIN=$(CURDIR)/bin $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@touch $@

build: setup
	$(GO) build -tags $(TAGS) -o $(BIN) .

## run: build and start the workstation (GUI). `make run DATA=/some/folder` uses another data folder.
run: build
	./$(BIN) $(if $(DATA),--data $(DATA))

## test: every test, against the real dependencies.
test: build check
	$(GO) test -tags $(TAGS) -count=1 -timeout 30m ./...
	$(MAKE) --no-print-directory test-race

## test-race: the race detector over the packages that run their own goroutines.
test-race: setup
	$(GO) test -race -short -tags $(TAGS) -count=1 -timeout 20m $(RACE_PKGS)

test-short: setup
	$(GO) test -tags $(TAGS) -short ./...

check: setup
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet -tags $(TAGS) ./... ./testdata/gen
	@test -x $(STATICCHECK) || GOBIN=$(CURDIR)/bin $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(STATICCHECK) -tags $(TAGS) ./... ./testdata/gen
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy and commit the result"; exit 1; }

## bench: benchmarks against the reference tools; writes bench/REPORT.md.
bench: build
	./scripts/bench.sh

## fuzz: run each fuzz target for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz: setup
	./scripts/fuzz.sh $(FUZZTIME)

## screenshots: the README's and the guides' pictures from the real app under Xvfb (docs/screenshots).
screenshots: build
	./scripts/screenshots.sh

clean:
	rm -rf bin .setup-done

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
DEB_PACKAGES += haproxy  # issue 16: the load balancer in front of several central servers (multi-server test, bench)
DEB_PACKAGES += fonts-liberation2 python3-pil ocrmypdf  # issue 15: copy-form font (Decree 30), LittleCMS check of the sRGB profile, OCRmyPDF size comparison
DEB_PACKAGES += hunspell-vi  # issue 12: Vietnamese syllable dictionary the OCR post-correction reads at run time (GPL, not bundled)
DEB_PACKAGES += dpkg-dev lintian mmdebstrap desktop-file-utils appstream  # issue 13: make package, package-test
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
# Single-goroutine image/OCR measurements the race detector has nothing to look at in; the main
# pass runs them in full (TestGray4Legibility alone is 4 minutes under -race,
# TestRemoveInkMatchesLayout, a Go pixel loop over the corpus, 95 s; TestNoisyPageJPEG, JPEG encoding, 31 s).
RACE_SKIP := TestGray4Legibility|TestRemoveInkMatchesLayout|TestNoisyPageJPEG

.PHONY: all setup deps build run test test-race test-short check bench fuzz clean package package-test package-windows screenshots

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
	./scripts/build-seaweedfs.sh  # issue 16: SeaweedFS (S3) for the S3 blob-store tests; cached, skipped when built
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
	$(GO) test -race -short -tags $(TAGS) -count=1 -timeout 20m -skip '$(RACE_SKIP)' $(RACE_PKGS)

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

## tessdata-best: the 4.0.0_best_int Vietnamese model (npm @tesseract.js-data/vie 1.0.0, built from
## tesseract-ocr/tessdata_best, Apache-2.0) in the project's own tessdata folder, beside Debian's
## eng and osd; `sohoa settings ocr_tessdata $PWD/tessdata/best` uses it.
TESSDATA_BEST := tessdata/best
VIE_BEST_NPM := @tesseract.js-data/vie@1.0.0
VIE_BEST_SHA256 := 2284f610f262a1b19ec8df9f196b9ff6ce38ddb4a66329e998941df4b8961c8d
.PHONY: tessdata-best
tessdata-best: $(TESSDATA_BEST)/vie.traineddata
setup: $(TESSDATA_BEST)/vie.traineddata
$(TESSDATA_BEST)/vie.traineddata: .setup-done
	@mkdir -p $(TESSDATA_BEST)
	@# npm fetches the model; Debian's npm only when the machine has none (a Node.js from
	@# NodeSource brings its own and conflicts with Debian's package).
	@command -v npm >/dev/null || $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && npm pack --silent $(VIE_BEST_NPM) >/dev/null) && \
	tar -xzf "$$tmp"/*.tgz -C "$$tmp" package/4.0.0_best_int/vie.traineddata.gz && \
	echo "$(VIE_BEST_SHA256)  $$tmp/package/4.0.0_best_int/vie.traineddata.gz" | sha256sum -c --quiet && \
	gunzip -c "$$tmp/package/4.0.0_best_int/vie.traineddata.gz" > $@.tmp && mv $@.tmp $@
	ln -sf /usr/share/tesseract-ocr/5/tessdata/eng.traineddata $(TESSDATA_BEST)/eng.traineddata
	ln -sf /usr/share/tesseract-ocr/5/tessdata/osd.traineddata $(TESSDATA_BEST)/osd.traineddata
	@echo "tessdata-best: $(TESSDATA_BEST) (vie 4.0.0_best_int, eng and osd from Debian)"
## package: the Linux packages into packaging/dist/: the workstation and central server .debs
## and the `fyne package` tarball (packaging/README.md).
package: setup
	./packaging/build.sh

## package-test: check the packages (dpkg-deb, lintian, validators), install them into a fresh
## Debian root (mmdebstrap) and run them there: --version, init, the window under Xvfb (its
## screenshot: packaging/dist/installed-deb.png).
package-test: package
	$(GO) test -tags $(TAGS),packagetest -count=1 -timeout 30m -v ./packaging/

## package-windows: the mingw-w64 cross-build, as far as it goes (packaging/README.md, Windows).
WINDOWS_DEB_PACKAGES := gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64
package-windows: setup
	@missing=$$(for p in $(WINDOWS_DEB_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; fi
	./packaging/build-windows.sh screenshots

clean:
	rm -rf bin .setup-done packaging/dist

#!/usr/bin/env bash
# Build the Linux packages into packaging/dist/ (`make package`):
#   sohoa_VERSION_ARCH.deb           the workstation (binary, desktop entry, icons, AppStream
#                                    metadata, man page; Depends on libtesseract5, the
#                                    Tesseract language data vie/eng/osd, libsane1, libgl1, …)
#   sohoa-central_VERSION_ARCH.deb   the central server (systemd unit, system user, sample
#                                    configuration, man page)
#   sohoa_VERSION_linux_ARCH.tar.xz  the workstation as `fyne package` makes it (make user-install)
# Both binaries are position-independent (PIE) and carry the version (FyneApp.toml) and the commit (git) through -ldflags.
# The .debs are made with dpkg-deb from a staging tree; no debhelper. Needs: go, dpkg-dev
# (dpkg-shlibdeps), the fyne tool (installed into bin/ from the Go module proxy if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH=/usr/local/go/bin:$ROOT/bin:$HOME/go/bin:$PATH
export CGO_ENABLED=1
FYNE_TOOLS_VERSION=v1.7.4 # fyne.io/tools; its fyne package works with the fyne/v2 of go.mod

DIST=$ROOT/packaging/dist
BUILD=$DIST/build
VERSION=$(sed -n 's/^[[:space:]]*Version[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' FyneApp.toml | head -1)
[ -n "$VERSION" ] || { echo "build.sh: no Version in FyneApp.toml" >&2; exit 1; }
COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown)
ARCH=$(dpkg --print-architecture)
BI=github.com/sohoa/sohoa/internal/buildinfo
LDFLAGS="-s -w -X $BI.version=$VERSION -X $BI.commit=$COMMIT"
DATE=$(git log -1 --format=%cD 2>/dev/null || date -R)

rm -rf "$BUILD" "$DIST"/*.deb "$DIST"/*.tar.xz  # not dist/windows (build-windows.sh)
mkdir -p "$BUILD"

echo "== go build (version $VERSION, commit ${COMMIT:0:12})"
go build -buildmode=pie -buildvcs=false -tags sqlite_fts5 -ldflags "$LDFLAGS" -o "$BUILD/sohoa" .
go build -buildmode=pie -buildvcs=false -tags sqlite_fts5 -ldflags "$LDFLAGS" -o "$BUILD/sohoa-central" ./cmd/sohoa-central

# shlibs PKG BINARY: the Depends dpkg-shlibdeps derives from the binary's shared libraries.
shlibs() {
	local tmp
	tmp=$(mktemp -d)
	mkdir -p "$tmp/debian"
	printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$1" "$1" >"$tmp/debian/control"
	(cd "$tmp" && dpkg-shlibdeps -O -e"$2" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
	rm -rf "$tmp"
}

# docs PKG STAGE: copyright and changelog where Debian policy wants them.
docs() {
	local d="$2/usr/share/doc/$1"
	install -d "$d"
	install -m 0644 packaging/deb/copyright "$d/copyright"
	printf '%s (%s) unstable; urgency=medium\n\n  * Release %s, commit %s.\n\n -- SoHoa <packaging@sohoa.vn>  %s\n' \
		"$1" "$VERSION" "$VERSION" "$COMMIT" "$DATE" | gzip -9n >"$d/changelog.gz"
}

# control PKG STAGE SHLIBS: DEBIAN/control from packaging/deb/PKG/control.in, and md5sums.
control() {
	local size
	size=$(du -sk --exclude=DEBIAN "$2" | cut -f1)
	install -d "$2/DEBIAN"
	sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE@/$size/" -e "s/@SHLIBS@/$3/" \
		"packaging/deb/$1/control.in" >"$2/DEBIAN/control"
	(cd "$2" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$2/DEBIAN/md5sums"
	chmod 0644 "$2/DEBIAN/control" "$2/DEBIAN/md5sums"
}

man() { # man SRC DEST: the page with its version, compressed
	install -d "$(dirname "$2")"
	sed "s/@VERSION@/$VERSION/" "$1" | gzip -9n >"$2"
	chmod 0644 "$2"
}

echo "== sohoa_${VERSION}_${ARCH}.deb"
S=$BUILD/stage-sohoa
install -d "$S/usr/bin" "$S/usr/share/applications" "$S/usr/share/metainfo" "$S/usr/share/icons/hicolor/scalable/apps"
install -m 0755 "$BUILD/sohoa" "$S/usr/bin/sohoa"
install -m 0644 assets/linux/vn.sohoa.workstation.desktop "$S/usr/share/applications/"
install -m 0644 assets/linux/vn.sohoa.workstation.metainfo.xml "$S/usr/share/metainfo/"
install -m 0644 assets/icons/sohoa.svg "$S/usr/share/icons/hicolor/scalable/apps/vn.sohoa.workstation.svg"
for n in 16 24 32 48 64 128 256 512; do
	install -d "$S/usr/share/icons/hicolor/${n}x${n}/apps"
	install -m 0644 "assets/icons/sohoa-$n.png" "$S/usr/share/icons/hicolor/${n}x${n}/apps/vn.sohoa.workstation.png"
done
man packaging/deb/sohoa/sohoa.1 "$S/usr/share/man/man1/sohoa.1.gz"
docs sohoa "$S"
control sohoa "$S" "$(shlibs sohoa "$S/usr/bin/sohoa")"
dpkg-deb --root-owner-group -Zxz --build "$S" "$DIST/sohoa_${VERSION}_${ARCH}.deb" >/dev/null

echo "== sohoa-central_${VERSION}_${ARCH}.deb"
S=$BUILD/stage-central
install -d "$S/usr/bin" "$S/lib/systemd/system" "$S/usr/lib/sysusers.d" "$S/etc/sohoa-central"
install -m 0755 "$BUILD/sohoa-central" "$S/usr/bin/sohoa-central"
install -m 0644 packaging/deb/sohoa-central/sohoa-central.service "$S/lib/systemd/system/"
install -m 0644 packaging/deb/sohoa-central/sysusers.conf "$S/usr/lib/sysusers.d/sohoa-central.conf"
install -m 0644 packaging/deb/sohoa-central/sohoa-central.conf "$S/etc/sohoa-central/"
man packaging/deb/sohoa-central/sohoa-central.8 "$S/usr/share/man/man8/sohoa-central.8.gz"
docs sohoa-central "$S"
install -m 0644 packaging/deb/sohoa-central/README.Debian "$S/usr/share/doc/sohoa-central/"
control sohoa-central "$S" "$(shlibs sohoa-central "$S/usr/bin/sohoa-central")"
echo /etc/sohoa-central/sohoa-central.conf >"$S/DEBIAN/conffiles"
for f in postinst prerm postrm; do install -m 0755 "packaging/deb/sohoa-central/$f" "$S/DEBIAN/$f"; done
chmod 0644 "$S/DEBIAN/conffiles"
dpkg-deb --root-owner-group -Zxz --build "$S" "$DIST/sohoa-central_${VERSION}_${ARCH}.deb" >/dev/null

echo "== sohoa_${VERSION}_linux_${ARCH}.tar.xz (fyne package)"
command -v fyne >/dev/null || GOBIN=$ROOT/bin go install "fyne.io/tools/cmd/fyne@$FYNE_TOOLS_VERSION"
T=$BUILD/fyne
mkdir -p "$T"
cp "$BUILD/sohoa" "$T/sohoa"
# fyne package counts its runs in FyneApp.toml's Build: keep the checked-in file as it is.
cp FyneApp.toml "$BUILD/FyneApp.toml.orig"
fyne package --os linux --release --executable "$T/sohoa" --name SoHoa --app-id vn.sohoa.workstation \
	--app-version "$VERSION" --icon "$ROOT/assets/icons/sohoa.png" >/dev/null
cp "$BUILD/FyneApp.toml.orig" FyneApp.toml
# fyne writes its own desktop entry, in English only: put ours (Name[vi], Comment[vi]) in its place.
mkdir -p "$T/tar" && tar -C "$T/tar" -xJf SoHoa.tar.xz && rm SoHoa.tar.xz
install -m 0644 assets/linux/vn.sohoa.workstation.desktop "$T/tar/sohoa/usr/local/share/applications/vn.sohoa.workstation.desktop"
tar -C "$T/tar" --owner=0 --group=0 --sort=name -cJf "$DIST/sohoa_${VERSION}_linux_${ARCH}.tar.xz" sohoa

rm -rf "$BUILD"
ls -l "$DIST"

#!/usr/bin/env bash
# Screenshots of the real binary under Xvfb, driven with xdotool: the batch list and the
# keying screen at 1024×768, the keying screen at 1366×768 and at 3840×2160 (FYNE_SCALE=2).
# Writes docs/screenshots/{batches-1024,keying-1024,keying-1366,keying-4k}.png.
#   scripts/screenshots-desk.sh            (needs Xvfb, xdotool, ImageMagick's import)
# The clicks are at the positions of the buttons and rows on those screens; check each PNG.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH CGO_ENABLED=1
work=$(mktemp -d /tmp/sohoa-shots-XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -tags sqlite_fts5 -o "$work/sohoa" .
bin=$work/sohoa
export SOHOA_DATA=$work/data SOHOA_USER=admin SOHOA_PASSWORD=anh-chup-man-hinh LANG=vi_VN.UTF-8
SOHOA_NEW_PASSWORD=$SOHOA_PASSWORD "$bin" user add --username admin --name "Trần Văn An" --role admin,clerk,supervisor >/dev/null
"$bin" settings office HN-01 >/dev/null
go run ./testdata/gen -seed 3 -n 12 -out "$work/docs" -dpi 200 -clean >/dev/null
mkdir -p "$work/birth" "$work/hh"
cp "$work"/docs/doc-000{1,6,7,8}.png "$work/birth/"
cp "$work/docs/doc-0002.tif" "$work/docs/doc-0003.png" "$work/hh/"
"$bin" import --batch "$("$bin" batch new --type birth --name "Khai sinh phường Ba Đình 2024")" "$work/birth" >/dev/null
"$bin" import --batch "$("$bin" batch new --type household --name "Sổ hộ khẩu xã An Bình")" "$work/hh" >/dev/null
"$bin" batch new --type marriage --name "Kết hôn quận Hoàn Kiếm, quý 3 năm 2025" >/dev/null
"$bin" batch new --name "Công văn đến 2025" >/dev/null
"$bin" ocr --workers 2 >/dev/null

# shoot DISPLAY W H SCALE: start the window on a W×H screen, sign in, open the birth batch's
# keying screen; leaves the GUI running ($gui) for more shots.
shoot() {
	local d=$1 w=$2 h=$3 s=$4
	Xvfb "$d" -screen 0 "${w}x${h}x24" -nolisten tcp >/dev/null 2>&1 &
	xvfb=$!
	sleep 1
	DISPLAY=$d FYNE_SCALE=$s "$bin" --data "$SOHOA_DATA" >/dev/null 2>&1 &
	gui=$!
	sleep 4
	export DISPLAY=$d
	xdotool windowsize "$(xdotool search --name SoHoa | head -1)" "$w" "$h"
	sleep 1
	xdotool mousemove $((w / 2 + 58 * s)) $((h / 2 - 4 * s)) click 1
	xdotool type --delay 20 admin
	xdotool key Tab
	xdotool type --delay 20 "$SOHOA_PASSWORD"
	xdotool key Return
	sleep 3
	xdotool mousemove $((150 * s)) $((365 * s)) click 1 # the birth batch, the newest but three
	sleep 0.5
}
stop() { kill "$gui"; sleep 1; kill "$xvfb"; sleep 1; }

shoot :91 1024 768 1
import -window root docs/screenshots/batches-1024.png
xdotool mousemove 330 173 click 1 # Nhập liệu
sleep 3
xdotool mousemove 800 242 click 1 # the name field: a 40-character name, typed in Telex
xdotool key ctrl+a
xdotool type --delay 25 'Nguyeenx Thij Phuwowng Thaor Hoangf Lee Minh Thuw'
xdotool key Tab
sleep 1.5
import -window root docs/screenshots/keying-1024.png
stop

shoot :92 1366 768 1
xdotool mousemove 330 173 click 1
sleep 3
import -window root docs/screenshots/keying-1366.png
stop

shoot :93 3840 2160 2
xdotool mousemove 660 346 click 1
sleep 3
import -window root docs/screenshots/keying-4k.png
stop
echo "docs/screenshots: batches-1024.png keying-1024.png keying-1366.png keying-4k.png"

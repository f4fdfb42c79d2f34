#!/usr/bin/env bash
# make screenshots: the pictures of README.md and docs/ from the real workstation.
#  1. The real binary (bin/sohoa, GL window) under Xvfb on a fresh data folder, driven with
#     xdotool: the first-run set-up form, then the machine's checks (setup-xvfb.png,
#     firstrun-xvfb.png). Xvfb keeps its screen in a file (-fbdir); scripts/xwd2png makes a PNG.
#  2. The app's own screen tests, which render the real screens with Fyne's software painter and
#     write them when asked: first run, sample batch, enrollment fingerprint (TestFirstRunScreens),
#     keying (TestKeyingScreenCapture), review (TestReviewScreenCapture).
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/screenshots
mkdir -p "$out"
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
for tool in Xvfb xdotool; do
	command -v "$tool" >/dev/null || { echo "screenshots: $tool is needed (make setup installs it)"; exit 1; }
done

# 1. the real window under Xvfb
n=$((120 + $$ % 60))
while [ -e "/tmp/.X11-unix/X$n" ]; do n=$((n + 1)); done
Xvfb ":$n" -screen 0 1024x768x24 -fbdir "$tmp" -nolisten tcp &
pids+=($!)
for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
export DISPLAY=":$n"
HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" SOHOA_LANG=vi ./bin/sohoa --data "$tmp/data" >"$tmp/sohoa.log" 2>&1 &
pids+=($!)
xdotool search --sync --name '^SoHoa$' >/dev/null
win=$(xdotool search --name '^SoHoa$' | head -1)
xdotool windowmove "$win" 0 0                 # the window opens at 1024×700 (app.Run)
sleep 3                                        # the window draws its first frame
shot() { go run ./scripts/xwd2png -crop 1024x700 "$tmp/Xvfb_screen0" "$out/$1"; echo "screenshots: $out/$1"; }
xdotool windowfocus --sync "$win" 2>/dev/null || true
# The set-up form: the user name field has the focus.
xdotool type --delay 40 'quantri'; xdotool key Tab
xdotool type --delay 40 'Tran Thi Ngoc'; xdotool key Tab
xdotool type --delay 40 'mat-khau-dai'; xdotool key Tab
xdotool type --delay 40 'mat-khau-dai'
sleep 1
shot setup-xvfb.png
xdotool key Return
sleep 8                                        # the checks look for scanners
shot firstrun-xvfb.png
xdotool mousemove --window "$win" 65 551 click 1   # “Tạo lô mẫu” (Make a sample batch)
for _ in $(seq 240); do   # until the six documents are stored (the CLI reads the same store)
	SOHOA_USER=quantri SOHOA_PASSWORD=mat-khau-dai ./bin/sohoa --data "$tmp/data" list --json 2>/dev/null | grep -q '"documents": 6' && break
	sleep 0.5
done
sleep 2
shot firstrun-sample-xvfb.png

# 2. the app's screen tests
[ -n "${SKIP_TESTS:-}" ] || SOHOA_SCREENSHOT_DIR="$PWD/$out" SOHOA_SCREENSHOT="$PWD/$out/keying.png" SOHOA_SCREENSHOT_REVIEW="$PWD/$out/review.png" \
	go test -tags sqlite_fts5 -count=1 -run 'TestFirstRunScreens|TestKeyingScreenCapture|TestReviewScreenCapture' ./app/
ls -l "$out"

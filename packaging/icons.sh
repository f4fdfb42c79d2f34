#!/usr/bin/env bash
# Render assets/icons/sohoa.svg to the PNG sizes the packages install (hicolor theme) and
# to assets/icons/sohoa.png (256 px: FyneApp.toml's icon). Needs rsvg-convert (Debian
# librsvg2-bin). The PNGs are committed: building a package does not need this script.
set -euo pipefail
cd "$(dirname "$0")/../assets/icons"
for n in 16 24 32 48 64 128 256 512; do
	rsvg-convert -w "$n" -h "$n" sohoa.svg -o "sohoa-$n.png"
done
cp sohoa-256.png sohoa.png
ls -l sohoa*.png

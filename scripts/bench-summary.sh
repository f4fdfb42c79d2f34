#!/usr/bin/env bash
# Prints the real-document summary of bench/REPORT.md (issue 12 "Must show"), copied from the topic
# reports the bench scripts wrote: CER per real set (raw tesseract vs SoHoa, step by step), pages per
# minute against the CLI, peak memory, field accuracy on captured records.
set -euo pipefail
cd "$(dirname "$0")/.."
echo
echo "## Real documents (issue 12): summary of the topic reports"
echo
echo "CER on the real pages of ../shared/corpus/ocr-vi, raw tesseract CLI beside SoHoa step by step ([REPORT-ocr-vi.md](REPORT-ocr-vi.md)):"
echo
sed -n '/^| set |/,/^$/p' bench/REPORT-ocr-vi.md | sed '/^$/q'
echo "Throughput against the CLI on the same real pages and cores, CER and peak memory ([REPORT-ocr-real.md](REPORT-ocr-real.md), its latest run of each model variant; first the table's header):"
echo
grep -m2 '^|' bench/REPORT-ocr-real.md
grep '^| ' bench/REPORT-ocr-real.md | grep -v '^| run\|^|---' | grep ' default' | tail -6
grep '^| ' bench/REPORT-ocr-real.md | grep -v '^| run\|^|---' | grep -E ' (best|combined)[ )]' | tail -4
echo
grep '^- .*pages per CPU-minute' bench/REPORT-ocr-real.md | grep ' default' | tail -4
echo
sed -n "/^Lead's runs/,/^\$/p" bench/REPORT-ocr-real.md
sed -n "/^Since 9b503b0/,/^\$/p" bench/REPORT-ocr-real.md
echo "Fields exact before keying on generated records captured as phone photos and 150-dpi fax ([REPORT-captures.md](REPORT-captures.md); seed 33 held out):"
echo
grep -m2 '^|' bench/REPORT-captures.md
grep '^| [0-9]* | now' bench/REPORT-captures.md

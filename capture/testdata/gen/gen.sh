#!/bin/sh
# Rebuilds the committed TIFF/PDF test files in capture/testdata from synthetic pages.
# Needs Go and libtiff-tools (tiffcp, tiff2pdf). Run from capture/testdata/gen.
set -e
go run main.go
tiffcp -c lzw:2 gray.tif p1.tif
tiffcp -c g4 bilevel.tif p2.tif
tiffcp -c zip rgb.tif p3.tif
tiffcp p1.tif p2.tif p3.tif ../three-pages.tif
tiffcp -c packbits gray.tif ../packbits.tif
tiffcp -c g3:1d bilevel.tif ../g3-1d.tif
tiffcp -c g3:2d bilevel.tif ../g3-2d.tif
tiffcp -r 320 -c jpeg rgb.tif ../jpeg-in-tiff.tif
tiff2pdf -o ../ccitt.pdf p2.tif
tiff2pdf -o ../jpeg-tiff2pdf.pdf ../jpeg-in-tiff.tif
rm -f gray.tif bilevel.tif rgb.tif p1.tif p2.tif p3.tif

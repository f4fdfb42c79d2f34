package sign

// CCITT Group 4 (ITU-T T.6) encoding of bilevel page images, for PDF's CCITTFaxDecode filter
// with /K -1. Neither pdfsign, pdfcpu nor golang.org/x/image (whose ccitt package only
// decodes) has an encoder. The run-length code tables are those of ITU-T T.4 (tables 2 and
// 3); the tests decode the output with golang.org/x/image/ccitt and poppler.

type g4code struct {
	bits uint32
	n    uint8
}

func c(s string) g4code {
	var v uint32
	for i := 0; i < len(s); i++ {
		v = v<<1 | uint32(s[i]-'0')
	}
	return g4code{v, uint8(len(s))}
}

var (
	whiteTerm = [64]g4code{c("00110101"), c("000111"), c("0111"), c("1000"), c("1011"), c("1100"), c("1110"), c("1111"),
		c("10011"), c("10100"), c("00111"), c("01000"), c("001000"), c("000011"), c("110100"), c("110101"),
		c("101010"), c("101011"), c("0100111"), c("0001100"), c("0001000"), c("0010111"), c("0000011"), c("0000100"),
		c("0101000"), c("0101011"), c("0010011"), c("0100100"), c("0011000"), c("00000010"), c("00000011"), c("00011010"),
		c("00011011"), c("00010010"), c("00010011"), c("00010100"), c("00010101"), c("00010110"), c("00010111"), c("00101000"),
		c("00101001"), c("00101010"), c("00101011"), c("00101100"), c("00101101"), c("00000100"), c("00000101"), c("00001010"),
		c("00001011"), c("01010010"), c("01010011"), c("01010100"), c("01010101"), c("00100100"), c("00100101"), c("01011000"),
		c("01011001"), c("01011010"), c("01011011"), c("01001010"), c("01001011"), c("00110010"), c("00110011"), c("00110100")}
	blackTerm = [64]g4code{c("0000110111"), c("010"), c("11"), c("10"), c("011"), c("0011"), c("0010"), c("00011"),
		c("000101"), c("000100"), c("0000100"), c("0000101"), c("0000111"), c("00000100"), c("00000111"), c("000011000"),
		c("0000010111"), c("0000011000"), c("0000001000"), c("00001100111"), c("00001101000"), c("00001101100"), c("00000110111"), c("00000101000"),
		c("00000010111"), c("00000011000"), c("000011001010"), c("000011001011"), c("000011001100"), c("000011001101"), c("000001101000"), c("000001101001"),
		c("000001101010"), c("000001101011"), c("000011010010"), c("000011010011"), c("000011010100"), c("000011010101"), c("000011010110"), c("000011010111"),
		c("000001101100"), c("000001101101"), c("000011011010"), c("000011011011"), c("000001010100"), c("000001010101"), c("000001010110"), c("000001010111"),
		c("000001100100"), c("000001100101"), c("000001010010"), c("000001010011"), c("000000100100"), c("000000110111"), c("000000111000"), c("000000100111"),
		c("000000101000"), c("000001011000"), c("000001011001"), c("000000101011"), c("000000101100"), c("000001011010"), c("000001100110"), c("000001100111")}
	// Make-up codes for 64, 128, … 1728.
	whiteMakeup = [27]g4code{c("11011"), c("10010"), c("010111"), c("0110111"), c("00110110"), c("00110111"), c("01100100"), c("01100101"),
		c("01101000"), c("01100111"), c("011001100"), c("011001101"), c("011010010"), c("011010011"), c("011010100"), c("011010101"),
		c("011010110"), c("011010111"), c("011011000"), c("011011001"), c("011011010"), c("011011011"), c("010011000"), c("010011001"),
		c("010011010"), c("011000"), c("010011011")}
	blackMakeup = [27]g4code{c("0000001111"), c("000011001000"), c("000011001001"), c("000001011011"), c("000000110011"), c("000000110100"), c("000000110101"), c("0000001101100"),
		c("0000001101101"), c("0000001001010"), c("0000001001011"), c("0000001001100"), c("0000001001101"), c("0000001110010"), c("0000001110011"), c("0000001110100"),
		c("0000001110101"), c("0000001110110"), c("0000001110111"), c("0000001010010"), c("0000001010011"), c("0000001010100"), c("0000001010101"), c("0000001011010"),
		c("0000001011011"), c("0000001100100"), c("0000001100101")}
	// Extended make-up codes (both colours) for 1792, 1856, … 2560.
	extMakeup = [13]g4code{c("00000001000"), c("00000001100"), c("00000001101"), c("000000010010"), c("000000010011"), c("000000010100"),
		c("000000010101"), c("000000010110"), c("000000010111"), c("000000011100"), c("000000011101"), c("000000011110"), c("000000011111")}

	codePass  = c("0001")
	codeHoriz = c("001")
	codeV     = [7]g4code{c("0000010"), c("000010"), c("010"), c("1"), c("011"), c("000011"), c("0000011")} // a1-b1 = -3 … 3
	codeEOL   = c("000000000001")
)

type bitWriter struct {
	out  []byte
	acc  uint64
	nacc uint
}

func (w *bitWriter) put(k g4code) {
	w.acc = w.acc<<k.n | uint64(k.bits)
	w.nacc += uint(k.n)
	for w.nacc >= 8 {
		w.out = append(w.out, byte(w.acc>>(w.nacc-8)))
		w.nacc -= 8
	}
}

func (w *bitWriter) flush() []byte {
	if w.nacc > 0 {
		w.out = append(w.out, byte(w.acc<<(8-w.nacc)))
		w.nacc = 0
	}
	return w.out
}

func (w *bitWriter) run(n int, black bool) {
	term, makeup := &whiteTerm, &whiteMakeup
	if black {
		term, makeup = &blackTerm, &blackMakeup
	}
	for n >= 2560 {
		w.put(extMakeup[12])
		n -= 2560
	}
	if n >= 1792 {
		w.put(extMakeup[(n-1792)/64])
		n %= 64
	} else if n >= 64 {
		w.put(makeup[n/64-1])
		n %= 64
	}
	w.put(term[n])
}

// encodeG4 encodes a bilevel image given as one byte per pixel (true: black), row by row, as
// CCITT G4 with an end-of-facsimile-block.
func encodeG4(black []bool, width, height int) []byte {
	w := &bitWriter{out: make([]byte, 0, width*height/40)}
	ref := make([]bool, width) // the imaginary all-white line above the first
	// next returns the first changing element of line at a position > a0 (a changing
	// element: a pixel of another colour than the one before it; before 0 is white) whose
	// colour is col, or width.
	next := func(line []bool, a0 int, col bool) int {
		p := a0 + 1
		if p < 0 {
			p = 0
		}
		for ; p < width; p++ {
			prev := false
			if p > 0 {
				prev = line[p-1]
			}
			if line[p] != prev && line[p] == col {
				return p
			}
		}
		return width
	}
	for y := 0; y < height; y++ {
		cur := black[y*width : (y+1)*width]
		a0, col := -1, false // col: the colour of a0 (false: white)
		for a0 < width {
			a1 := next(cur, a0, !col)
			b1 := next(ref, a0, !col)
			b2 := next(ref, b1, col)
			switch {
			case b2 < a1: // pass mode
				w.put(codePass)
				a0 = b2
			case a1-b1 >= -3 && a1-b1 <= 3: // vertical mode
				w.put(codeV[a1-b1+3])
				a0, col = a1, !col
			default: // horizontal mode
				a2 := next(cur, a1, col)
				start := max(a0, 0)
				w.put(codeHoriz)
				w.run(a1-start, col)
				w.run(a2-a1, !col)
				a0 = a2
			}
		}
		ref = cur
	}
	w.put(codeEOL)
	w.put(codeEOL)
	return w.flush()
}

package sign

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sort"
)

// A small TrueType reader and subsetter for the visible text SoHoa draws (the Decree 30 copy
// form): the runes' glyphs (cmap format 4 or 12), their advance widths, and a font program
// that keeps only the glyphs used (and the components of composite ones). Glyph IDs are
// kept, so the PDF font uses CIDToGIDMap /Identity; unused glyphs are empty in glyf/loca.

type ttFont struct {
	tables map[string][]byte
	upem   int
	nglyph int
	cmap   func(rune) int
}

var errTTF = errors.New("sign: the font file is not a TrueType font SoHoa can read")

func parseTTF(data []byte) (*ttFont, error) {
	if len(data) < 12 {
		return nil, errTTF
	}
	n := int(binary.BigEndian.Uint16(data[4:]))
	if len(data) < 12+16*n {
		return nil, errTTF
	}
	f := &ttFont{tables: map[string][]byte{}}
	for i := 0; i < n; i++ {
		e := data[12+16*i:]
		off, l := int(binary.BigEndian.Uint32(e[8:])), int(binary.BigEndian.Uint32(e[12:]))
		if off < 0 || l < 0 || off+l > len(data) {
			return nil, errTTF
		}
		f.tables[string(e[:4])] = data[off : off+l]
	}
	for _, t := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf", "cmap"} {
		if f.tables[t] == nil {
			return nil, errTTF
		}
	}
	if len(f.tables["head"]) < 54 || len(f.tables["hhea"]) < 36 || len(f.tables["maxp"]) < 6 {
		return nil, errTTF
	}
	f.upem = int(binary.BigEndian.Uint16(f.tables["head"][18:]))
	f.nglyph = int(binary.BigEndian.Uint16(f.tables["maxp"][4:]))
	if f.upem == 0 || f.nglyph == 0 {
		return nil, errTTF
	}
	if err := f.readCmap(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *ttFont) readCmap() error {
	cm := f.tables["cmap"]
	if len(cm) < 4 {
		return errTTF
	}
	n := int(binary.BigEndian.Uint16(cm[2:]))
	var best []byte
	bestFmt := 0
	for i := 0; i < n && 4+8*i+8 <= len(cm); i++ {
		e := cm[4+8*i:]
		pid, eid := binary.BigEndian.Uint16(e), binary.BigEndian.Uint16(e[2:])
		off := int(binary.BigEndian.Uint32(e[4:]))
		if off+4 > len(cm) || !(pid == 3 && (eid == 1 || eid == 10) || pid == 0) {
			continue
		}
		sub := cm[off:]
		format := int(binary.BigEndian.Uint16(sub))
		if (format == 12 && bestFmt != 12) || (format == 4 && bestFmt == 0) {
			best, bestFmt = sub, format
		}
	}
	switch bestFmt {
	case 4:
		s := best
		if len(s) < 14 {
			return errTTF
		}
		segs := int(binary.BigEndian.Uint16(s[6:])) / 2
		if len(s) < 16+8*segs {
			return errTTF
		}
		ends, starts := s[14:], s[16+2*segs:]
		deltas, ranges := s[16+4*segs:], s[16+6*segs:]
		f.cmap = func(r rune) int {
			if r > 0xFFFF {
				return 0
			}
			c := int(r)
			for i := 0; i < segs; i++ {
				if c > int(binary.BigEndian.Uint16(ends[2*i:])) {
					continue
				}
				start := int(binary.BigEndian.Uint16(starts[2*i:]))
				if c < start {
					return 0
				}
				delta := int(binary.BigEndian.Uint16(deltas[2*i:]))
				ro := int(binary.BigEndian.Uint16(ranges[2*i:]))
				if ro == 0 {
					return (c + delta) & 0xFFFF
				}
				p := 16 + 6*segs + 2*i + ro + 2*(c-start)
				if p+2 > len(s) {
					return 0
				}
				g := int(binary.BigEndian.Uint16(s[p:]))
				if g == 0 {
					return 0
				}
				return (g + delta) & 0xFFFF
			}
			return 0
		}
	case 12:
		s := best
		if len(s) < 16 {
			return errTTF
		}
		groups := int(binary.BigEndian.Uint32(s[12:]))
		if groups < 0 || len(s) < 16+12*groups {
			return errTTF
		}
		f.cmap = func(r rune) int {
			for i := 0; i < groups; i++ {
				g := s[16+12*i:]
				lo, hi := rune(binary.BigEndian.Uint32(g)), rune(binary.BigEndian.Uint32(g[4:]))
				if r >= lo && r <= hi {
					return int(binary.BigEndian.Uint32(g[8:])) + int(r-lo)
				}
			}
			return 0
		}
	default:
		return errTTF
	}
	return nil
}

// advance is glyph g's advance width in 1/1000 em.
func (f *ttFont) advance(g int) int {
	hm := int(binary.BigEndian.Uint16(f.tables["hhea"][34:]))
	i := min(g, hm-1)
	if 4*i+2 > len(f.tables["hmtx"]) {
		return 0
	}
	return int(binary.BigEndian.Uint16(f.tables["hmtx"][4*i:])) * 1000 / f.upem
}

func (f *ttFont) glyphRange(g int) (int, int) {
	loca := f.tables["loca"]
	long := binary.BigEndian.Uint16(f.tables["head"][50:]) == 1
	if long {
		if 4*g+8 > len(loca) {
			return 0, 0
		}
		return int(binary.BigEndian.Uint32(loca[4*g:])), int(binary.BigEndian.Uint32(loca[4*g+4:]))
	}
	if 2*g+4 > len(loca) {
		return 0, 0
	}
	return 2 * int(binary.BigEndian.Uint16(loca[2*g:])), 2 * int(binary.BigEndian.Uint16(loca[2*g+2:]))
}

// subset returns a font program with only the glyphs of used (and .notdef, and the
// components of composite glyphs).
func (f *ttFont) subset(used map[int]bool) []byte {
	keep := map[int]bool{0: true}
	var stack []int
	for g := range used {
		stack = append(stack, g)
	}
	glyf := f.tables["glyf"]
	for len(stack) > 0 {
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if keep[g] && g != 0 || g < 0 || g >= f.nglyph {
			continue
		}
		keep[g] = true
		a, b := f.glyphRange(g)
		if a >= b || b > len(glyf) || b-a < 10 || int16(binary.BigEndian.Uint16(glyf[a:])) >= 0 {
			continue
		}
		// A composite glyph: its components.
		p := a + 10
		for p+4 <= b {
			flags := binary.BigEndian.Uint16(glyf[p:])
			stack = append(stack, int(binary.BigEndian.Uint16(glyf[p+2:])))
			p += 4
			if flags&1 != 0 {
				p += 4
			} else {
				p += 2
			}
			switch {
			case flags&8 != 0:
				p += 2
			case flags&0x40 != 0:
				p += 4
			case flags&0x80 != 0:
				p += 8
			}
			if flags&0x20 == 0 {
				break
			}
		}
	}
	var ng bytes.Buffer
	loca := make([]byte, 4*(f.nglyph+1))
	for g := 0; g < f.nglyph; g++ {
		binary.BigEndian.PutUint32(loca[4*g:], uint32(ng.Len()))
		if keep[g] {
			a, b := f.glyphRange(g)
			if a < b && b <= len(glyf) {
				ng.Write(glyf[a:b])
				for ng.Len()%4 != 0 {
					ng.WriteByte(0)
				}
			}
		}
	}
	binary.BigEndian.PutUint32(loca[4*f.nglyph:], uint32(ng.Len()))
	head := bytes.Clone(f.tables["head"])
	binary.BigEndian.PutUint16(head[50:], 1) // long loca
	binary.BigEndian.PutUint32(head[8:], 0)  // checkSumAdjustment, set below
	out := map[string][]byte{"head": head, "hhea": f.tables["hhea"], "maxp": f.tables["maxp"], "hmtx": f.tables["hmtx"],
		"loca": loca, "glyf": ng.Bytes()}
	for _, t := range []string{"cvt ", "fpgm", "prep", "OS/2", "name"} {
		if d := f.tables[t]; d != nil {
			out[t] = d
		}
	}
	if p := f.tables["post"]; len(p) >= 32 {
		post := bytes.Clone(p[:32])
		binary.BigEndian.PutUint32(post, 0x00030000) // no glyph names
		out["post"] = post
	}
	font := writeSFNT(out)
	// head.checkSumAdjustment = 0xB1B0AFBA - checksum of the whole font.
	n := int(binary.BigEndian.Uint16(font[4:]))
	for i := 0; i < n; i++ {
		e := font[12+16*i:]
		if string(e[:4]) == "head" {
			binary.BigEndian.PutUint32(font[int(binary.BigEndian.Uint32(e[8:]))+8:], 0xB1B0AFBA-ttChecksum(font))
		}
	}
	return font
}

func ttChecksum(b []byte) uint32 {
	var s uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		s += binary.BigEndian.Uint32(w[:])
	}
	return s
}

func writeSFNT(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	n := len(tags)
	es, sel := 1, 0
	for es*2 <= n {
		es *= 2
		sel++
	}
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(0x00010000))
	binary.Write(&b, binary.BigEndian, []uint16{uint16(n), uint16(es * 16), uint16(sel), uint16(n*16 - es*16)})
	off := 12 + 16*n
	for _, t := range tags {
		d := tables[t]
		b.WriteString(t)
		binary.Write(&b, binary.BigEndian, []uint32{ttChecksum(d), uint32(off), uint32(len(d))})
		off += (len(d) + 3) &^ 3
	}
	for _, t := range tags {
		b.Write(tables[t])
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
	}
	return b.Bytes()
}

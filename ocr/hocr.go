package ocr

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// parseHOCR turns Tesseract's hOCR (TessBaseAPI::GetHOCRText) into words
// and the plain text that TessBaseAPI::GetUTF8Text would give for the same
// recognition: words joined by one space, "\n" after each line, another
// "\n" after each paragraph; leading and trailing newlines trimmed as
// gosseract's Text() does. One recognition pass thus yields both.
// U+2044 FRACTION SLASH is read as "/": Vietnamese administrative text has
// none, but the Vietnamese model writes it at times for the slash of a
// date or a document symbol ("254/2025⁄QH15", 7 times on corpus/ocr-vi).
func parseHOCR(s string) (text string, words []Word, err error) {
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity

	var (
		sb                strings.Builder
		block, par, line  int
		lineWords         int
		inWord            int // depth inside an ocrx_word span (0 = outside)
		cur               Word
		curText           strings.Builder
		parOpen, lineOpen bool
	)
	endLine := func() {
		if lineOpen && lineWords > 0 {
			sb.WriteByte('\n')
		}
		lineOpen, lineWords = false, 0
	}
	endPar := func() {
		endLine()
		if parOpen {
			sb.WriteByte('\n')
		}
		parOpen = false
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", nil, fmt.Errorf("ocr: parse hOCR: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if inWord > 0 {
				inWord++
				continue
			}
			class, title := "", ""
			for _, a := range t.Attr {
				switch a.Name.Local {
				case "class":
					class = a.Value
				case "title":
					title = a.Value
				}
			}
			switch class {
			case "ocr_carea":
				endPar()
				block++
				par, line = 0, 0
			case "ocr_par":
				endPar()
				par++
				line = 0
				parOpen = true
			case "ocr_line", "ocr_header", "ocr_textfloat", "ocr_caption":
				endLine()
				line++
				lineOpen = true
			case "ocrx_word":
				inWord = 1
				cur = Word{Block: block, Par: par, Line: line}
				parseTitle(title, &cur)
				curText.Reset()
			}
		case xml.EndElement:
			if inWord > 0 {
				inWord--
				if inWord == 0 {
					cur.Text = strings.ReplaceAll(curText.String(), "\u2044", "/")
					if strings.TrimSpace(cur.Text) != "" {
						if lineWords > 0 {
							sb.WriteByte(' ')
						}
						sb.WriteString(cur.Text)
						lineWords++
						words = append(words, cur)
					}
				}
			}
		case xml.CharData:
			if inWord > 0 {
				curText.Write(t)
			}
		}
	}
	endPar()
	return strings.Trim(sb.String(), "\n"), words, nil
}

// parseTitle reads "bbox x0 y0 x1 y1; x_wconf 96" into w.
func parseTitle(title string, w *Word) {
	for _, part := range strings.Split(title, ";") {
		f := strings.Fields(part)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "bbox":
			if len(f) == 5 {
				v := [4]int{}
				for i := range v {
					v[i], _ = strconv.Atoi(f[i+1])
				}
				w.X0, w.Y0, w.X1, w.Y1 = v[0], v[1], v[2], v[3]
			}
		case "x_wconf":
			if len(f) == 2 {
				w.Conf, _ = strconv.ParseFloat(f[1], 64)
			}
		}
	}
}

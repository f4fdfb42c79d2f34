package pipeline

import (
	"strings"

	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/ocr/layout"
	"github.com/sohoa/sohoa/ocr/vicorrect"
)

// Vietnamese applies the steps after recognition that know Vietnamese administrative pages:
// the words Tesseract is unsure of get their diacritics corrected (vicorrect; never a word
// with a digit), and the text is rebuilt from them; with columns, in the reading order of a
// Decree 30/2020 page (layout: the header's agency column before the motto column, the
// recipients list before the signature block), else in Tesseract's lines. The words keep
// their boxes, confidences and Tesseract's order (extraction reads them by position); only
// their text may change.
func Vietnamese(res ocr.Result, columns bool) ocr.Result {
	if len(res.Words) == 0 {
		return res
	}
	words := vicorrect.Default().Words(res.Words)
	if columns {
		if t := layout.Analyze(words, res.Width).Text(); t != "" {
			res.Text = t
		}
	} else {
		res.Text = relabel(res.Text, res.Words, words)
	}
	res.Words = words
	return res
}

// relabel puts the corrected words into Tesseract's text in place of the words as read: the
// text is the words in order, joined by spaces and line breaks, so each word is found in turn.
func relabel(text string, before, after []ocr.Word) string {
	var b strings.Builder
	pos := 0
	for i := range before {
		j := strings.Index(text[pos:], before[i].Text)
		if j < 0 {
			return text // not the words of this text: leave it
		}
		b.WriteString(text[pos : pos+j])
		b.WriteString(after[i].Text)
		pos += j + len(before[i].Text)
	}
	b.WriteString(text[pos:])
	return b.String()
}

package vicorrect

import (
	"bufio"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/assets"
)

// Model is a syllable unigram and bigram model with a lexicon of known syllables, every
// syllable by its Key (so either tone placement matches).
type Model struct {
	uni   map[string]float64    // key → count
	form  map[string]string     // key → lower-case spelling, the most frequent one seen
	fn    map[string]float64    // count of that spelling
	bi    map[[2]string]float64 // (key, key) → count
	left  map[string]float64    // key → count of bigrams it starts
	known map[string]bool       // syllables a dictionary knows, with or without a count
	total float64
}

// NewModel returns an empty model.
func NewModel() *Model {
	return &Model{uni: map[string]float64{}, form: map[string]string{}, fn: map[string]float64{},
		bi: map[[2]string]float64{}, left: map[string]float64{}, known: map[string]bool{}}
}

// AddCount counts syllable s n more times.
func (m *Model) AddCount(s string, n float64) {
	s = strings.ToLower(norm.NFC.String(s))
	if !Valid(s) {
		return
	}
	k := Key(s)
	m.uni[k] += n
	m.total += n
	fk := k + "|" + s
	m.fn[fk] += n
	if m.form[k] == "" || m.fn[fk] > m.fn[k+"|"+m.form[k]] {
		m.form[k] = s
	}
	m.known[k] = true
}

// AddPhrase counts the syllables of a phrase and its neighbouring pairs, weight times.
func (m *Model) AddPhrase(phrase string, weight float64) {
	var prev string
	for _, w := range strings.FieldsFunc(phrase, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsMark(r) }) {
		w = strings.ToLower(norm.NFC.String(w))
		if !Valid(w) {
			prev = ""
			continue
		}
		m.AddCount(w, weight)
		k := Key(w)
		if prev != "" {
			m.bi[[2]string{prev, k}] += weight
			m.left[prev] += weight
		}
		prev = k
	}
}

// AddKnown marks syllables as real without counting them (a spelling dictionary).
func (m *Model) AddKnown(s string) {
	s = strings.ToLower(norm.NFC.String(s))
	if Valid(s) {
		k := Key(s)
		m.known[k] = true
		if m.form[k] == "" {
			m.form[k] = s
		}
	}
}

// Known says whether the model knows syllable key k.
func (m *Model) Known(k string) bool { return m.known[k] }

// logP is log P(k | prev) with the bigram interpolated with the unigram (add-half smoothed).
func (m *Model) logP(prev, k string) float64 {
	pu := (m.uni[k] + 0.5) / (m.total + 0.5*float64(len(m.known)+1))
	if prev == "" || m.left[prev] == 0 {
		return math.Log(pu)
	}
	const lambda = 0.6
	pb := m.bi[[2]string{prev, k}] / m.left[prev]
	return math.Log(lambda*pb + (1-lambda)*pu)
}

// HunspellDic is where Debian's hunspell-vi package puts its dictionary; Default reads it when
// it is there (it is GPL, so SoHoa uses the system's copy and bundles none).
const HunspellDic = "/usr/share/hunspell/vi_VN.dic"

var (
	modelOnce sync.Once
	defM      *Model
)

// DefaultModel is the bundled model (assets/vietnamese: syllable counts from the
// OpenSubtitles frequency list and Tesseract's vie.wordlist, the administrative vocabulary,
// names, and the names of the administrative units of the catalogue), with hunspell-vi's
// syllables as known words when the system has them.
func DefaultModel() *Model {
	modelOnce.Do(func() {
		m := NewModel()
		fsys := assets.FS()
		if b, err := fs.ReadFile(fsys, "vietnamese/syllables.tsv"); err == nil {
			readCounts(m, strings.NewReader(string(b)))
		}
		// Domain text weighs like a frequent written-language source: a phrase of the
		// vocabulary counts as 20,000 sightings of its words and pairs.
		for _, f := range []string{"vietnamese/admin_vocab.txt", "vietnamese/names.txt"} {
			if b, err := fs.ReadFile(fsys, f); err == nil {
				for _, line := range strings.Split(string(b), "\n") {
					if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
						m.AddPhrase(line, 20000)
					}
				}
			}
		}
		for _, name := range unitNames(fsys) {
			m.AddPhrase(name, 200)
		}
		if f, err := os.Open(HunspellDic); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				m.AddKnown(strings.Split(sc.Text(), "/")[0])
			}
			f.Close()
		}
		defM = m
	})
	return defM
}

func readCounts(m *Model, r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		w, n, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		c, err := strconv.ParseFloat(n, 64)
		if err == nil {
			m.AddCount(w, c)
		}
	}
}

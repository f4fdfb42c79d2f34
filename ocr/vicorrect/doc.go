// Package vicorrect corrects the diacritics of Vietnamese words Tesseract is unsure of: it
// knows Vietnamese syllables (onset + rhyme + tone, either tone placement: Valid, Key, Place),
// proposes the other tone marks, vowel marks and d/đ of a word, and ranks them with a syllable
// bigram model and a domain lexicon (Model: the bundled counts and vocabulary of
// assets/vietnamese, the unit names of the catalogue, Debian's hunspell-vi at run time).
// Words with digits or inner punctuation are never touched. docs/OCR-VI.md describes the
// pipeline step and the measurements.
package vicorrect

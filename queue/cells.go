package queue

// Personal columns of an encrypted store (docs/ENCRYPTION.md). The database file stays a
// plain SQLite file (SQLCipher was measured and refused: see the doc); the columns that hold
// what people wrote or what OCR read are sealed one value at a time, and the full-text index
// holds blind tokens instead of words:
//
//   - sealed columns: field_values.value, key_values.value, ocr_results.text and .words.
//     A sealed value is "enc1:" + base64(nonce (12) | AES-256-GCM(value)), the AAD the
//     column's name ("field_values.value"), under a subkey of the data key. The SQL functions
//     seal(column, value) and unseal(column, value), registered on every connection of the
//     store, do it inside the statements, so that queries keep their shape and rows copied
//     with INSERT … SELECT stay valid. '' stays ''; a value without the prefix (a row from
//     before the conversion) reads as it is.
//   - search_fts.body: for every folded word, the first 10 bytes of HMAC-SHA256(index key,
//     prefix) of each of its prefixes (up to 24 runes), base32; a query word is looked up
//     by its own tag, which gives the prefix search the plaintext index gave ("nguy" finds
//     "Nguyễn"), diacritic- and case-insensitive, without a word in the file.

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// cellCipher holds the column keys of one store while it is unlocked.
type cellCipher struct {
	mu    sync.RWMutex
	on    bool        // new values are sealed (encryption not off)
	blind bool        // search_fts holds blind tokens (the conversion sealed the database)
	aead  cipher.AEAD // nil while locked
	index []byte      // HMAC key of the search tokens; nil while locked
}

var errCellsLocked = errors.New("store locked: sealed column needs the data key")

func (c *cellCipher) setKey(key *[32]byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if key == nil {
		c.aead, c.index = nil, nil
		return nil
	}
	sub, err := hkdf.Key(sha256.New, key[:], nil, "sohoa columns v1", 32)
	if err != nil {
		return err
	}
	aead, err := gcm(sub)
	if err != nil {
		return err
	}
	idx, err := hkdf.Key(sha256.New, key[:], nil, "sohoa search index v1", 32)
	if err != nil {
		return err
	}
	c.aead, c.index = aead, idx
	return nil
}

func (c *cellCipher) setState(on, blind bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on, c.blind = on, blind
}

// seal is the SQL function seal(column, value).
func (c *cellCipher) seal(col, v string) (string, error) {
	c.mu.RLock()
	on, aead := c.on, c.aead
	c.mu.RUnlock()
	if !on || v == "" {
		return v, nil
	}
	if aead == nil {
		return "", errCellsLocked
	}
	return sealWith(aead, col, v)
}

func sealWith(aead cipher.AEAD, col, v string) (string, error) {
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(v)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(v), []byte(col))), nil
}

// unseal is the SQL function unseal(column, value).
func (c *cellCipher) unseal(col, v string) (string, error) {
	if !strings.HasPrefix(v, sealedPrefix) {
		return v, nil
	}
	c.mu.RLock()
	aead := c.aead
	c.mu.RUnlock()
	if aead == nil {
		return "", errCellsLocked
	}
	raw, err := base64.RawStdEncoding.DecodeString(v[len(sealedPrefix):])
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return "", fmt.Errorf("sealed %s does not authenticate", col)
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(col))
	if err != nil {
		return "", fmt.Errorf("sealed %s does not authenticate", col)
	}
	return string(plain), nil
}

const blindPrefixRunes = 24

var blindEnc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func blindTag(mac []byte, prefix string) string {
	return blindTagWith(hmac.New(sha256.New, mac), prefix, nil)
}

// blindTagWith computes the tag with h (reset first), using sum as scratch space.
func blindTagWith(h hash.Hash, prefix string, sum []byte) string {
	h.Reset()
	h.Write([]byte(prefix))
	return blindEnc.EncodeToString(h.Sum(sum[:0])[:10])
}

// blindBody turns folded text into the blind tokens of its words' prefixes.
func blindBody(mac []byte, folded string) string {
	var b strings.Builder
	h := hmac.New(sha256.New, mac)
	sum := make([]byte, 0, sha256.Size)
	for _, w := range strings.FieldsFunc(folded, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		end := 0
		for n := 0; end < len(w) && n < blindPrefixRunes; n++ {
			_, size := utf8.DecodeRuneInString(w[end:])
			end += size
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(blindTagWith(h, w[:end], sum))
		}
	}
	return b.String()
}

// ftsBody is what search_fts.body holds for text: its fold, or in a sealed store the blind
// tokens of the fold.
func (s *Store) ftsBody(text string) (string, error) {
	c := s.cells
	c.mu.RLock()
	blind, mac := c.blind, c.index
	c.mu.RUnlock()
	if !blind {
		return Fold(text), nil
	}
	if mac == nil {
		return "", ErrStoreLocked
	}
	return blindBody(mac, Fold(text)), nil
}

// ftsMatch is the MATCH expression that finds rows holding every query token as a word
// prefix.
func (s *Store) ftsMatch(toks []string) (string, error) {
	c := s.cells
	c.mu.RLock()
	blind, mac := c.blind, c.index
	c.mu.RUnlock()
	if blind && mac == nil {
		return "", ErrStoreLocked
	}
	var match strings.Builder
	for i, t := range toks {
		if i > 0 {
			match.WriteByte(' ')
		}
		if blind {
			r := []rune(t)
			match.WriteString(`"` + blindTag(mac, string(r[:min(len(r), blindPrefixRunes)])) + `"`)
		} else {
			match.WriteString(`"` + strings.ReplaceAll(t, `"`, `""`) + `"*`)
		}
	}
	return match.String(), nil
}

// sqlSeal and sqlUnseal are the SQL forms: NULL stays NULL, a BLOB is taken as text.
func (c *cellCipher) sqlSeal(col string, v any) (any, error) {
	s, ok := sqlText(v)
	if !ok {
		return v, nil
	}
	return c.seal(col, s)
}

func (c *cellCipher) sqlUnseal(col string, v any) (any, error) {
	s, ok := sqlText(v)
	if !ok {
		return v, nil
	}
	return c.unseal(col, s)
}

func sqlText(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case []byte:
		return string(t), true
	}
	return "", false
}

var driverSeq atomic.Int64

// cellDriver registers a go-sqlite3 driver whose connections carry the store's seal and
// unseal functions, and returns its name (one per opened store: the functions close over
// the store's keys).
func cellDriver(c *cellCipher) string {
	name := fmt.Sprintf("sqlite3-sohoa-%d", driverSeq.Add(1))
	sql.Register(name, &sqlite3.SQLiteDriver{ConnectHook: func(conn *sqlite3.SQLiteConn) error {
		if err := conn.RegisterFunc("seal", c.sqlSeal, false); err != nil {
			return err
		}
		return conn.RegisterFunc("unseal", c.sqlUnseal, true)
	}})
	return name
}

// sealedColumns are the personal columns sealed in an encrypted store.
var sealedColumns = [][2]string{
	{"field_values", "value"}, {"key_values", "value"}, {"ocr_results", "text"}, {"ocr_results", "words"},
}

// sealDatabaseTx seals what the database still holds in plaintext (the conversion): the
// personal columns, the search index (as blind tokens) and the secret settings, in tx.
func (s *Store) sealDatabaseTx(tx *sql.Tx, key *[32]byte) error {
	for _, tc := range sealedColumns {
		col := tc[0] + "." + tc[1]
		if _, err := tx.Exec(fmt.Sprintf(`UPDATE %s SET %s = seal(?1, %s) WHERE %s <> '' AND substr(%s, 1, 5) <> 'enc1:'`,
			tc[0], tc[1], tc[1], tc[1], tc[1]), col); err != nil {
			return fmt.Errorf("seal %s: %w", col, err)
		}
	}
	var blind int
	if err := tx.QueryRow(`SELECT db_sealed FROM store_encryption WHERE id = 1`).Scan(&blind); err != nil {
		return err
	}
	if blind == 0 {
		mac, err := hkdf.Key(sha256.New, key[:], nil, "sohoa search index v1", 32)
		if err != nil {
			return err
		}
		rows, err := tx.Query(`SELECT rowid, body FROM search_fts`)
		if err != nil {
			return err
		}
		type row struct {
			id   int64
			body string
		}
		var all []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.body); err != nil {
				rows.Close()
				return err
			}
			all = append(all, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range all {
			if _, err := tx.Exec(`UPDATE search_fts SET body = ? WHERE rowid = ?`, blindBody(mac, Fold(r.body)), r.id); err != nil {
				return err
			}
		}
		// Merge the index so that no segment keeps an old word.
		if _, err := tx.Exec(`INSERT INTO search_fts(search_fts) VALUES ('optimize')`); err != nil {
			return err
		}
	}
	_, err := tx.Exec(`UPDATE store_encryption SET db_sealed = 1 WHERE id = 1`)
	return err
}

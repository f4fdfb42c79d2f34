package workflow

import (
	"context"
	"crypto/x509"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/sync/client"
)

// Workstation settings an administrator changes (the settings screen, `sohoa settings KEY
// VALUE`). Each has a check of its value here, the one place both faces go through. Sync
// credentials come only from enrollment (enroll.go); the workstation ID is made once.
const (
	SettingOffice   = queue.SettingOffice // the default office of new batches before enrollment
	SettingAutoLock = "autolock_minutes"  // idle minutes before the window locks (0: never)
	// SettingOCRLanguages are the Tesseract languages of OCR, "+"-joined (default "vie+eng").
	SettingOCRLanguages = "ocr_languages"
	// SettingOCRReadingOrder is the order of the recognised text: "lines" (default: as
	// Tesseract reads, each line across the page) or "columns" (Decree 30/2020 zones: the
	// header's agency column, then the motto column; the recipients list, then the signature).
	SettingOCRReadingOrder = "ocr_reading_order"
	// SettingOCRTessdata is the folder of the OCR models ("" : TessdataDir()). `make
	// tessdata-best` fills tessdata/best with the 4.0.0_best_int Vietnamese model (issue 12;
	// bench/REPORT-ocr-real.md compares it with Debian's): set this to that folder to use it.
	SettingOCRTessdata = "ocr_tessdata"
	// SettingTrustStore is a PEM file or folder of the CA certificates trusted for signing
	// and verifying: signing refuses a certificate that does not chain to it, verifying
	// reports trust against it. Unset: no trust store (the central server still checks).
	SettingTrustStore = "sign.trust_store"
	// SettingPKCS11Module is the signing tokens' PKCS#11 module (the vendor's .so/.dll) the
	// sign screen proposes.
	SettingPKCS11Module = "sign.pkcs11_module"
	// SettingSignProfile is the signature format (sign.Profile: "B-B", "B-T", "B-LT",
	// "adbe"; unset: B-T with a timestamp server, else B-B).
	SettingSignProfile = "sign.profile"
	// SettingTSAURL is the RFC 3161 timestamp server signatures are timestamped by (B-T,
	// B-LT) when the sign screen or `sohoa sign --tsa` names none.
	SettingTSAURL = "sign.tsa_url"
	// SettingCopyForm makes signed PDFs digitised copies (Decree 30/2020/NĐ-CP): "SAO Y",
	// "SAO LỤC" or "TRÍCH SAO" drawn with the organisation and the time at the top right of
	// the first page ("" = not a copy). SettingCopyForm+"."+record type sets it for one
	// record type, SettingCopyForm+".batch."+batch ID for one batch not yet signed (the
	// batch's wins over the record type's, which wins over the general one).
	SettingCopyForm = "sign.copy_form"
	// SettingCopyOrganization is the copying organisation's name ("" = the batch's office).
	SettingCopyOrganization = "sign.copy_organization"
)

// DefaultAutoLockMinutes applies while autolock_minutes is unset.
const DefaultAutoLockMinutes = 10

// DefaultOCRLanguages apply while ocr_languages is unset.
var DefaultOCRLanguages = []string{"vie", "eng"}

// TessdataDir is where the OCR language models are looked for ($TESSDATA_PREFIX, else
// Debian's tesseract-ocr folder).
func TessdataDir() string {
	if d := os.Getenv("TESSDATA_PREFIX"); d != "" {
		return d
	}
	return "/usr/share/tesseract-ocr/5/tessdata"
}

// AvailableOCRLanguages lists the languages with a model in TessdataDir (osd, orientation
// detection, is not a language).
func AvailableOCRLanguages() []string { return languagesIn(TessdataDir()) }

func languagesIn(dir string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, "*.traineddata"))
	var out []string
	for _, f := range m {
		l := strings.TrimSuffix(filepath.Base(f), ".traineddata")
		if l != "osd" && validLangCode(l) {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

func validLangCode(l string) bool {
	if len(l) < 3 || len(l) > 32 {
		return false
	}
	for _, c := range l {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// SettingError refuses a setting's value (no personal data: setting names and codes).
type SettingError struct {
	Key    string
	Reason string // "not_editable", "invalid", "enrolled_office", "no_language", "trust_store", "module"
	Detail string // the office the workstation is enrolled for, the missing language, …
}

func (e *SettingError) Error() string { return e.Localize(l10n.Vi) + " / " + e.Localize(l10n.En) }

// settingKeys are the catalogue messages of SettingError's reasons.
var settingKeys = map[string]string{
	"not_editable":    "workflow.setting.notEditable",
	"enrolled_office": "workflow.setting.enrolledOffice",
	"no_language":     "workflow.setting.noLanguage",
	"trust_store":     "workflow.setting.trustStore",
	"module":          "workflow.setting.module",
	"tessdata":        "workflow.setting.tessdata",
}

// Localize is the message in lang.
func (e *SettingError) Localize(lang string) string {
	key, ok := settingKeys[e.Reason]
	if !ok {
		key = "workflow.setting.invalid"
	}
	return l10n.T(lang, key, l10n.Args{"Key": e.Key, "Detail": e.Detail})
}

// ErrSettingInvalid matches a *SettingError of a value that does not have the right shape.
var ErrSettingInvalid = l10n.New("workflow.settingInvalid")

func (e *SettingError) Is(target error) bool {
	return target == ErrSettingInvalid && e.Reason != "not_editable"
}

// checkSetting checks one value an administrator sets (normalised value back).
func (w *Workflow) checkSetting(ctx context.Context, key, value string) (string, error) {
	value = strings.TrimSpace(value)
	if rt, ok := strings.CutPrefix(key, SettingCopyForm+"."); ok {
		if id, isBatch := strings.CutPrefix(rt, "batch."); isBatch {
			b, err := w.Store.Batch(ctx, id)
			if err != nil {
				return "", &SettingError{Key: key, Reason: "not_editable"}
			}
			if b.State == queue.StateSigned || b.State == queue.StateSynced {
				return "", &SettingError{Key: key, Reason: "not_editable"} // its PDFs are made
			}
			rt = "batch"
		}
		if !validRecordTypeCode(rt) {
			return "", &SettingError{Key: key, Reason: "not_editable"}
		}
		key = SettingCopyForm
	}
	switch key {
	case SettingAutoLock:
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 || n > 24*60 {
			return "", &SettingError{Key: key, Reason: "invalid"}
		}
		return strconv.Itoa(n), nil
	case SettingOffice:
		if !queue.ValidOfficeCode(value) {
			return "", queue.ErrBadOffice
		}
		// an enrolled workstation's office is the server's
		if ws, enrolled, err := w.Store.WorkstationOffice(ctx); err != nil {
			return "", err
		} else if enrolled && ws != value {
			return "", &SettingError{Key: key, Reason: "enrolled_office", Detail: ws}
		}
		return value, nil
	case SettingOCRLanguages:
		langs := splitLangs(value)
		if len(langs) == 0 {
			return "", &SettingError{Key: key, Reason: "invalid"}
		}
		dir, err := w.OCRTessdata(ctx)
		if err != nil {
			return "", err
		}
		have := map[string]bool{}
		for _, l := range languagesIn(dir) {
			have[l] = true
		}
		for _, l := range langs {
			if !validLangCode(l) {
				return "", &SettingError{Key: key, Reason: "invalid"}
			}
			if !have[l] {
				return "", &SettingError{Key: key, Reason: "no_language", Detail: l}
			}
		}
		return strings.Join(langs, "+"), nil
	case SettingOCRReadingOrder:
		if value != "lines" && value != "columns" {
			return "", &SettingError{Key: key, Reason: "invalid"}
		}
		return value, nil
	case SettingOCRTessdata:
		if value == "" {
			return "", nil // Tesseract's own folder
		}
		abs, err := filepath.Abs(value)
		if err != nil {
			return "", &SettingError{Key: key, Reason: "tessdata", Detail: value}
		}
		langs, err := w.OCRLanguages(ctx)
		if err != nil {
			return "", err
		}
		// orientation detection and every configured language must be there
		for _, l := range append([]string{"osd"}, langs...) {
			if fi, err := os.Stat(filepath.Join(abs, l+".traineddata")); err != nil || !fi.Mode().IsRegular() {
				return "", &SettingError{Key: key, Reason: "tessdata", Detail: l + ".traineddata"}
			}
		}
		return abs, nil
	case SettingTrustStore:
		if value == "" {
			return "", nil // no trust store
		}
		abs, err := filepath.Abs(value)
		if err != nil {
			return "", &SettingError{Key: key, Reason: "trust_store", Detail: err.Error()}
		}
		if _, err := LoadTrustStore(abs); err != nil {
			return "", &SettingError{Key: key, Reason: "trust_store", Detail: err.Error()}
		}
		return abs, nil
	case SettingPKCS11Module:
		if value == "" {
			return "", nil
		}
		abs, err := filepath.Abs(value)
		if err != nil {
			return "", &SettingError{Key: key, Reason: "module", Detail: value}
		}
		if fi, err := os.Stat(abs); err != nil || !fi.Mode().IsRegular() {
			return "", &SettingError{Key: key, Reason: "module", Detail: filepath.Base(value)}
		}
		return abs, nil
	case SettingCopyForm:
		f, err := sign.ParseCopyForm(value)
		if err != nil {
			return "", &SettingError{Key: key, Reason: "invalid"}
		}
		return f, nil
	case SettingCopyOrganization:
		if len([]rune(value)) > 200 {
			return "", &SettingError{Key: key, Reason: "invalid"}
		}
		return norm.NFC.String(value), nil
	case SettingSignProfile:
		p, err := sign.ParseProfile(value)
		if err != nil {
			return "", &SettingError{Key: key, Reason: "invalid"}
		}
		return string(p), nil
	case SettingTSAURL:
		if value == "" {
			return "", nil
		}
		if u, err := url.Parse(value); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", &SettingError{Key: key, Reason: "invalid"}
		}
		return value, nil
	}
	return "", &SettingError{Key: key, Reason: "not_editable"}
}

// EditableSettings are the keys SetSetting accepts.
var EditableSettings = []string{SettingOffice, SettingAutoLock, SettingOCRLanguages, SettingOCRReadingOrder, SettingOCRTessdata, SettingTrustStore, SettingPKCS11Module, SettingSignProfile, SettingTSAURL, SettingCopyForm, SettingCopyOrganization}

// validRecordTypeCode: a record type code as settings keys carry it (letters, digits, '_',
// '-').
func validRecordTypeCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func splitLangs(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == '+' || r == ',' || r == ' ' })
}

// SetSetting checks and stores one setting (administrators only, audited by the store).
func (w *Workflow) SetSetting(ctx context.Context, actor queue.User, key, value string) error {
	return w.SaveSettings(ctx, actor, map[string]string{key: value})
}

// SaveSettings checks every value, then stores them all in one transaction (administrators
// only, each audited by the store): one bad value stores none.
func (w *Workflow) SaveSettings(ctx context.Context, actor queue.User, kv map[string]string) error {
	if err := queue.Require(actor, queue.ActionManageSettings); err != nil {
		return err
	}
	out := map[string]string{}
	for k, v := range kv {
		nv, err := w.checkSetting(ctx, k, v)
		if err != nil {
			return err
		}
		out[k] = nv
	}
	return w.Store.SetSettings(ctx, actor, out)
}

// secretSettings are never shown.
var secretSettings = map[string]bool{client.SettingToken: true}

// SettingEntry is one setting as the faces show it: a secret's value is never given.
type SettingEntry struct {
	Key    string
	Value  string // "" for a secret
	Set    bool
	Secret bool
}

// ListedSettings are the keys `sohoa settings` lists by default.
var ListedSettings = []string{"workstation_id", SettingOffice, SettingAutoLock, client.SettingServer, client.SettingOffice,
	client.SettingTLSPin, client.SettingToken}

// ReadSettings reads the named settings (ListedSettings when none), secrets masked.
func (w *Workflow) ReadSettings(ctx context.Context, keys ...string) ([]SettingEntry, error) {
	if len(keys) == 0 {
		keys = append([]string(nil), ListedSettings...)
		sort.Strings(keys)
	}
	var out []SettingEntry
	for _, k := range keys {
		v, err := w.Store.Setting(ctx, k)
		if err != nil {
			return nil, err
		}
		e := SettingEntry{Key: k, Value: v, Set: v != "", Secret: secretSettings[k]}
		if e.Secret {
			e.Value = ""
		}
		out = append(out, e)
	}
	return out, nil
}

// Settings is the workstation's configuration as the settings screen shows it.
type Settings struct {
	WorkstationID   string
	Office          string // set by hand (the default before enrollment)
	EnrolledOffice  string // given by the central server at enrollment ("" when not enrolled)
	AutoLockMinutes int
	OCRLanguages    []string
	TrustStore      string
	PKCS11Module    string
	SignProfile     string // "" (PAdES B-T with a TSA, else B-B), "B-B", "B-T", "B-LT", "adbe"
	TSAURL          string
	// Sync: set by enrollment only.
	Server, ServerTLSSHA256 string
	Enrolled                bool
	ClientCert, ClientKey   string // mutual TLS files, when used
}

// ReadWorkstationSettings reads the settings, with the defaults where unset.
func (w *Workflow) ReadWorkstationSettings(ctx context.Context) (Settings, error) {
	get := func(k string) (string, error) { return w.Store.Setting(ctx, k) }
	var s Settings
	var err error
	if s.WorkstationID, err = w.Store.WorkstationID(ctx); err != nil {
		return s, err
	}
	vals := map[string]*string{SettingOffice: &s.Office, client.SettingOffice: &s.EnrolledOffice,
		SettingTrustStore: &s.TrustStore, SettingPKCS11Module: &s.PKCS11Module, SettingSignProfile: &s.SignProfile, SettingTSAURL: &s.TSAURL, client.SettingServer: &s.Server,
		client.SettingTLSPin: &s.ServerTLSSHA256, client.SettingClientCert: &s.ClientCert, client.SettingClientKey: &s.ClientKey}
	for k, p := range vals {
		if *p, err = get(k); err != nil {
			return s, err
		}
	}
	tok, err := get(client.SettingToken)
	if err != nil {
		return s, err
	}
	s.Enrolled = s.Server != "" && tok != ""
	s.AutoLockMinutes = DefaultAutoLockMinutes
	if v, err := get(SettingAutoLock); err != nil {
		return s, err
	} else if n, perr := strconv.Atoi(v); v != "" && perr == nil && n >= 0 {
		s.AutoLockMinutes = n
	}
	s.OCRLanguages, err = w.OCRLanguages(ctx)
	return s, err
}

// OCRLanguages are the languages OCR uses on this workstation.
func (w *Workflow) OCRLanguages(ctx context.Context) ([]string, error) {
	v, err := w.Store.Setting(ctx, SettingOCRLanguages)
	if err != nil {
		return nil, err
	}
	if langs := splitLangs(v); len(langs) > 0 {
		return langs, nil
	}
	return append([]string(nil), DefaultOCRLanguages...), nil
}

// OCRTessdata is the folder of the OCR models on this workstation: the ocr_tessdata setting,
// else TessdataDir().
func (w *Workflow) OCRTessdata(ctx context.Context) (string, error) {
	v, err := w.Store.Setting(ctx, SettingOCRTessdata)
	if err != nil || v != "" {
		return v, err
	}
	return TessdataDir(), nil
}

// TrustRoots is the workstation's trust store (nil when none is set, or without a store).
func (w *Workflow) TrustRoots(ctx context.Context) (*x509.CertPool, error) {
	if w.Store == nil {
		return nil, nil
	}
	v, err := w.Store.Setting(ctx, SettingTrustStore)
	if err != nil || v == "" {
		return nil, err
	}
	return LoadTrustStore(v)
}

// LoadTrustStore reads the CA certificates of a trust store: a PEM file, or every
// .pem/.crt/.cer file (PEM or DER) of a folder (sign.LoadTrust, as the central server does).
func LoadTrustStore(path string) (*x509.CertPool, error) {
	pool, _, err := sign.LoadTrust(path)
	return pool, err
}

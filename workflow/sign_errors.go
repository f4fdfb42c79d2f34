package workflow

import "github.com/sohoa/sohoa/sign"

// bilingual is an error the person at the workstation can act on, in Vietnamese and
// English (the faces pick the half in their language through Vi and En).
type bilingual struct{ vi, en string }

func newBilingual(vi, en string) error { return &bilingual{vi, en} }

func (e *bilingual) Error() string { return e.vi + " / " + e.en }

// Vi is the Vietnamese message alone.
func (e *bilingual) Vi() string { return e.vi }

// En is the English message alone.
func (e *bilingual) En() string { return e.en }

// Errors of the signing core the faces show (matched with errors.Is; the specific token
// and .p12 errors — sign.ErrWrongPIN, sign.ErrPINLocked, sign.ErrP12Password, … — match
// these too and carry their own Vietnamese and English texts).
var (
	ErrToken  = sign.ErrToken  // a signing token that cannot be used
	ErrPKCS12 = sign.ErrPKCS12 // a .p12 file that cannot be opened
)

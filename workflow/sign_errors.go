package workflow

import "github.com/sohoa/sohoa/sign"

// Errors of the signing core the faces show (matched with errors.Is; the specific token
// and .p12 errors — sign.ErrWrongPIN, sign.ErrPINLocked, sign.ErrP12Password, … — match
// these too and carry their own Vietnamese and English texts).
var (
	ErrToken  = sign.ErrToken  // a signing token that cannot be used
	ErrPKCS12 = sign.ErrPKCS12 // a .p12 file that cannot be opened
)

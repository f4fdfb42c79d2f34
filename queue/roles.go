package queue

import (
	"context"
	"database/sql"

	"github.com/sohoa/sohoa/internal/l10n"
)

// Action is something a user may be allowed to do. Every permission check in the core names
// one, and Allowed is the one table that says which role may do it.
type Action string

const (
	ActionCreateBatch    Action = "batch.create"
	ActionCapture        Action = "capture"      // import files, scan, edit pages and documents
	ActionKey            Action = "field.key"    // key or correct field values
	ActionSubmit         Action = "batch.submit" // send a batch to review
	ActionReview         Action = "batch.review" // sample, accept/return documents, approve or return a batch
	ActionSign           Action = "batch.sign"
	ActionManageUsers    Action = "users.manage"
	ActionManageTypes    Action = "recordtypes.manage"
	ActionManageSettings Action = "settings.manage" // server address, signing certificates, trust store
	ActionSync           Action = "sync"
)

// Actions lists every action, for tests and for the role screen.
var Actions = []Action{ActionCreateBatch, ActionCapture, ActionKey, ActionSubmit, ActionReview, ActionSign,
	ActionManageUsers, ActionManageTypes, ActionManageSettings, ActionSync}

// Roles lists every role.
var Roles = []Role{RoleClerk, RoleSupervisor, RoleAdmin}

// permissions is the role table. Capture-side work (batches, pages, keying, submitting) is open
// to every role: a small office's administrator often keys too, and the control that matters,
// review, is separate. Only supervisors review, approve and sign; only administrators manage
// users, record types and workstation settings. Sending signed batches needs only a sign-in.
var permissions = map[Action][]Role{
	ActionCreateBatch:    {RoleClerk, RoleSupervisor, RoleAdmin},
	ActionCapture:        {RoleClerk, RoleSupervisor, RoleAdmin},
	ActionKey:            {RoleClerk, RoleSupervisor, RoleAdmin},
	ActionSubmit:         {RoleClerk, RoleSupervisor, RoleAdmin},
	ActionReview:         {RoleSupervisor},
	ActionSign:           {RoleSupervisor},
	ActionManageUsers:    {RoleAdmin},
	ActionManageTypes:    {RoleAdmin},
	ActionManageSettings: {RoleAdmin},
	ActionSync:           {RoleClerk, RoleSupervisor, RoleAdmin},
}

// Allowed reports whether role r may perform action a.
func Allowed(r Role, a Action) bool {
	for _, x := range permissions[a] {
		if x == r {
			return true
		}
	}
	return false
}

// Can reports whether any of u's roles allows action a. A disabled account can do nothing.
func (u User) Can(a Action) bool {
	if u.Disabled {
		return false
	}
	for _, r := range u.Roles {
		if Allowed(r, a) {
			return true
		}
	}
	return false
}

// PermissionError says which action a user's roles do not allow. It matches ErrNotPermitted.
type PermissionError struct {
	User   string
	Action Action
}

func (e *PermissionError) Error() string { return e.Localize(l10n.Vi) + " / " + e.Localize(l10n.En) }

// Localize is the message in lang.
func (e *PermissionError) Localize(lang string) string {
	return l10n.T(lang, "queue.permission", l10n.Args{"User": e.User, "Action": e.Action.Localize(lang)})
}

func (e *PermissionError) Unwrap() error { return ErrNotPermitted }

// Localize names the action for people, in lang ("ký số", "sign").
func (a Action) Localize(lang string) string { return l10n.T(lang, "queue.action."+string(a)) }

// Require returns a *PermissionError unless u may perform a.
func Require(u User, a Action) error {
	if u.Can(a) {
		return nil
	}
	return &PermissionError{User: u.Username, Action: a}
}

// ErrFourEyes is matched by a FourEyesError: the reviewer took part in the batch's capture or keying.
var ErrFourEyes = l10n.New("queue.fourEyes")

// FourEyesError says why a supervisor may not approve or sign a batch (no personal values).
type FourEyesError struct {
	User   string
	Reason string // "keyed", "documents" or "not_approver"
}

func (e *FourEyesError) Error() string { return e.Localize(l10n.Vi) + " / " + e.Localize(l10n.En) }

// Localize is the message in lang.
func (e *FourEyesError) Localize(lang string) string {
	key := "queue.fourEyes.keyed"
	switch e.Reason {
	case "not_approver", "documents":
		key = "queue.fourEyes." + e.Reason
	}
	return l10n.T(lang, key, l10n.Args{"User": e.User})
}

func (e *FourEyesError) Unwrap() error { return ErrFourEyes }

// fourEyes refuses actor when they keyed or corrected any field of the batch (any value in the
// history, not only current ones; values read by OCR do not count) or keyed a double-blind
// pass (key_passes, doublekey.go), created or imported any of its documents, or edited its
// documents or pages (as the audit log records).
func fourEyes(tx *sql.Tx, actor User, batchID string) error {
	var n int
	err := tx.QueryRow(`SELECT
		(SELECT count(*) FROM field_values f JOIN documents d ON d.id = f.document_id
			WHERE d.batch_id = ?1 AND f.user_id = ?2 AND f.source <> 'ocr') +
		(SELECT count(*) FROM key_passes k JOIN documents d ON d.id = k.document_id
			WHERE d.batch_id = ?1 AND k.user_id = ?2)`,
		batchID, actor.ID).Scan(&n)
	if err != nil {
		return err
	}
	if n > 0 {
		return &FourEyesError{User: actor.Username, Reason: "keyed"}
	}
	err = tx.QueryRow(`SELECT
		(SELECT count(*) FROM documents WHERE batch_id = ?1 AND created_by = ?2) +
		(SELECT count(*) FROM audit a WHERE a.actor = ?3
			AND a.action IN ('document.add','page.add','document.split','document.merge')
			AND a.object IN (SELECT 'document:' || id FROM documents WHERE batch_id = ?1)) +
		(SELECT count(*) FROM audit a WHERE a.actor = ?3
			AND a.action IN ('page.rotate','page.move','page.delete')
			AND a.object IN (SELECT 'page:' || p.id FROM pages p JOIN documents d ON d.id = p.document_id WHERE d.batch_id = ?1))`,
		batchID, actor.ID, actor.Username).Scan(&n)
	if err != nil {
		return err
	}
	if n > 0 {
		return &FourEyesError{User: actor.Username, Reason: "documents"}
	}
	return nil
}

// CheckFourEyes reports (as a *FourEyesError) whether actor took part in the batch's capture
// or keying and so may not approve or sign it.
func (s *Store) CheckFourEyes(ctx context.Context, actor User, batchID string) error {
	return s.batchReadTx(ctx, batchID, func(tx *sql.Tx, full string) error {
		return fourEyes(tx, actor, full)
	})
}

// Package queue is SoHoa's local store: batches, documents, pages, OCR results, field values,
// users and the audit log in SQLite, and page images as content-addressed blob files beside it.
//
// Durability order, everywhere: a blob is written to a temporary file, fsynced, renamed into
// place and its directory fsynced; only then is the row that names it committed, in one
// transaction together with its audit event. A crash at any point leaves either nothing or
// the whole unit (a document with all its pages), never half of it. Orphan blobs (written but
// never committed) hold personal data; the sweep removes them after a grace period (sweep.go).
//
// Tamper evidence: the audit chain's head is anchored outside the database, in a head file
// signed with the workstation's key and in every signed manifest and receipt (anchor.go);
// user records are sealed with that key (users.go); signed batches are checked against their
// signed PDFs (signedcheck.go); sign-in is throttled durably (lockout.go). Store.CheckAudit
// runs every check.
//
// Batch state changes happen only through Store.Transition, which enforces the state machine
// of DESIGN.md §3 in one place.
package queue

// Package workflow is every operation a user starts — import, scan, re-scan a page, OCR,
// extract, save a field, finish a document, submit, review, return, approve, sign a batch,
// verify a batch or a file, enroll, sync, manage users and settings — written once, between
// the two faces (app/, the Fyne window, and cli/, the command line) and the core packages
// (capture, ocr, pipeline, records, queue, sign, sync).
//
// Each operation takes a context (cancel it to stop at the next durable point), the acting
// user, its input and a Progress callback, and returns a result or an error. Roles and the
// four-eyes rule are enforced by the store (queue), never here and never in a face; business
// rules (when a document is finished, what a confident OCR value is, which office a batch
// belongs to) live here or below, never in a face. The faces only parse input and present
// results, so a capability is built once and both faces get it.
//
// Dependencies point one way (docs/ARCHITECTURE.md): app, cli → workflow → core → queue.
// This package never imports fyne, app or cli.
package workflow

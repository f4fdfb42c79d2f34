// Package store is the central server's storage: a content-addressed BlobStore (a local folder
// today; S3-compatible object storage later) and a Store for workstations, enrollment codes,
// batches, documents and receipts, with two backends (SQLite, PostgreSQL) that pass one shared
// test suite (storetest.Run).
//
// Durability order on the server: blob (temp file, fsync, rename, fsync dir) → database row →
// receipt. A batch row is written only after every blob it names is durable, and the receipt is
// written in the same transaction as the batch.
package store

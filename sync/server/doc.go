// Package server is the SoHoa central server: the HTTP handlers of sync protocol v1
// (sync/PROTOCOL.md) over a store.Store and a store.BlobStore, with workstation enrollment and
// bearer-token authentication, signed commit receipts, request size and rate limits, metrics,
// TLS with a self-signed certificate made on first start, and graceful shutdown (Serve).
package server

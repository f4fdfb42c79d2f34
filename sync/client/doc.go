// Package client is the workstation's outbox sender: it enrolls the workstation with the
// central server and uploads every signed batch of the local queue's outbox exactly once
// (manifest → missing blobs → commit → verified receipt stored), retrying with backoff through
// any outage and putting batches the server refuses for good on hold (sync/PROTOCOL.md).
package client

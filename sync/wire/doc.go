// Package wire holds the types of the SoHoa sync protocol v1 (sync/PROTOCOL.md) shared by the
// workstation's sync client and the central server: the batch manifest, the signed commit
// receipt, the JSON error body, and strict decoders for everything a peer sends.
package wire

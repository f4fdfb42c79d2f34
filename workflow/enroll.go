package workflow

import (
	"context"
	"crypto/tls"
	"path/filepath"
	"strings"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/client"
)

// EnrollInput is what enrolling the workstation with the central server needs.
type EnrollInput struct {
	Server string // https://host:port
	Code   string // the one-time enrollment code the server's administrator made
	// Fingerprint is the hex SHA-256 of the server's TLS certificate when it is not signed
	// by a CA the system trusts ("": verify with the system roots, then pin what was seen).
	Fingerprint string
	// ClientCert and ClientKey are PEM files for mutual TLS (both or neither).
	ClientCert, ClientKey string
}

// EnrollResult is what enrollment stored.
type EnrollResult struct {
	WorkstationID string
	Office        string
	Fingerprint   string // the server certificate's SHA-256, pinned
	// PreviousID is set when the server gave another workstation id than this one had:
	// batches signed before must be signed again.
	PreviousID string
}

// Errors of enrollment (the faces say them; no secret inside).
var (
	ErrServerURL    = l10n.New("workflow.serverURL")
	ErrNoEnrollCode = l10n.New("workflow.noEnrollCode")
)

// ValidServerURL refuses a central server address that is not https.
func ValidServerURL(u string) error {
	u = strings.TrimSpace(u)
	if !strings.HasPrefix(u, "https://") || len(u) <= len("https://") {
		return ErrServerURL
	}
	return nil
}

// Enroll exchanges a one-time code for this workstation's credential (administrators only)
// and stores the server, its token, receipt key and office and the TLS certificate's
// fingerprint (sync/client), then the client certificate files for mutual TLS. A running
// SyncService picks the new settings up at its next pass (Reload wakes it at once).
func (w *Workflow) Enroll(ctx context.Context, actor queue.User, in EnrollInput, progress Progress) (EnrollResult, error) {
	var out EnrollResult
	if err := queue.Require(actor, queue.ActionManageSettings); err != nil {
		return out, err
	}
	if err := ValidServerURL(in.Server); err != nil {
		return out, err
	}
	code := strings.TrimSpace(in.Code)
	if code == "" {
		return out, ErrNoEnrollCode
	}
	var cert *tls.Certificate
	certFile, keyFile := in.ClientCert, in.ClientKey
	if certFile != "" || keyFile != "" {
		var err error
		if cert, err = client.LoadClientCert(certFile, keyFile); err != nil {
			return out, err
		}
		if certFile, err = filepath.Abs(certFile); err != nil {
			return out, err
		}
		if keyFile, err = filepath.Abs(keyFile); err != nil {
			return out, err
		}
	}
	progress.Report(Event{Op: "enroll", Step: "server", Item: strings.TrimSpace(in.Server)})
	cl := &client.Client{Store: w.Store, Actor: actor, TLSFingerprint: strings.ToLower(strings.TrimSpace(in.Fingerprint)), ClientCert: cert}
	res, err := cl.Enroll(ctx, in.Server, code)
	if err != nil {
		if cl.TLSFingerprint == "" {
			err = untrusted(ctx, strings.TrimSpace(in.Server), err)
		}
		return out, err
	}
	if cert != nil { // mutual TLS: every later call presents the same certificate
		if err := w.Store.SetSettings(ctx, actor, map[string]string{client.SettingClientCert: certFile, client.SettingClientKey: keyFile}); err != nil {
			return out, err
		}
	}
	out = EnrollResult{WorkstationID: res.WorkstationID, Office: res.Office, Fingerprint: res.Fingerprint, PreviousID: res.PreviousID}
	progress.Report(Event{Op: "enroll", Step: "server", Done: 1, Total: 1, Item: out.WorkstationID})
	return out, nil
}

package client

import (
	"context"
	"testing"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/internal/l10n/l10ntest"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/wire"
)

func TestErrorsTranslated(t *testing.T) {
	st, err := queue.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, httpErr := (&Client{Store: st}).Enroll(context.Background(), "http://central.example", "CODE")
	_, certErr := LoadClientCert("", "")
	_, readErr := LoadClientCert("/nonexistent/cert.pem", "/nonexistent/key.pem")
	server := &ServerError{Wire: &wire.Error{Status: 403, Code: "workstation_revoked", MessageVI: "Máy trạm này đã bị thu hồi quyền đồng bộ.", MessageEN: "This workstation's credential was revoked."}}
	for name, err := range map[string]error{
		"ErrNotEnrolled": ErrNotEnrolled, "ErrReceiptKey": ErrReceiptKey, "ErrFingerprint": ErrFingerprint, "errStalled": errStalled,
		"http address": httpErr, "cert files": certErr, "cert read": readErr, "server answer": server,
		"enroll": l10n.Wrap(ErrFingerprint, "sync.client.enroll"),
	} {
		l10ntest.Translated(t, name, err)
	}
	if got := l10n.Text(l10n.En, server); got != "This workstation's credential was revoked. (workstation_revoked)" {
		t.Errorf("server answer in English: %q", got)
	}
}

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/sync/server"
)

// TestHelp: `sohoa-central help` (and no arguments, -h, CMD --help) print a real help that
// names every command; help CMD gives its usage and an example; a missing --data names the way on.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {}, {"--help"}, {"-h"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, &out); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		for name, h := range commandHelp {
			if !strings.Contains(out.String(), "  "+name+" ") || !strings.Contains(out.String(), h.short) {
				t.Errorf("%q does not list %s: %s", args, name, out.String())
			}
		}
	}
	for name, h := range commandHelp {
		for _, args := range [][]string{{"help", name}, {name, "--help"}} {
			var out bytes.Buffer
			if err := run(context.Background(), args, &out); err != nil {
				t.Fatalf("%q: %v", args, err)
			}
			if h.usage == "" || h.long == "" || h.example == "" || !strings.Contains(out.String(), h.usage) ||
				!strings.Contains(out.String(), "Example:\n  "+h.example) || !strings.Contains(out.String(), "--data DIR") {
				t.Errorf("%q: %s", args, out.String())
			}
		}
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"status"}, &out)
	if err == nil || !strings.Contains(err.Error(), "--data DIR is required") || !strings.Contains(err.Error(), "sohoa-central help status") {
		t.Fatalf("status without --data: %v", err)
	}
	if err := run(context.Background(), []string{"help", "frobnicate"}, &out); err == nil {
		t.Fatal("help of an unknown command accepted")
	}
}

// TestStatusFingerprint: status prints the SHA-256 of the TLS certificate serve presents (the
// one a workstation pins at enrollment) and the enrolled workstations, and makes no certificate.
func TestStatusFingerprint(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"status", "--data", dir}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "not made yet") || strings.Contains(out.String(), "fingerprint") {
		t.Fatalf("status before the first start: %s", out.String())
	}
	_, fp, err := server.LoadOrCreateTLS(dir, "", "", []string{"central.example.vn"})
	if err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"enroll-code", "--data", dir, "--office", "HN-01"}, &out); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"status", "--data", dir}, &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"TLS SHA-256 fingerprint  " + fp, "central.example.vn", "self-signed              true", "workstations             0 enrolled, 0 revoked"} {
		if !strings.Contains(s, want) {
			t.Errorf("status lacks %q:\n%s", want, s)
		}
	}
}

package queue

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestOfficeRules (finding 7): a batch gets the workstation's office by default; office codes
// are checked; once enrolled, a batch of another office is refused at creation, before
// keying (submit, Transition, a keyed value) and at signing, with a message that says how to
// fix it; an administrator changes a batch's office until it is signed, audited.
func TestOfficeRules(t *testing.T) {
	ctx := context.Background()
	f := newReviewFixture(t, 1) // batch of office HN-01, made by the clerk
	s := f.s
	if !ValidOfficeCode("HN-01") || !ValidOfficeCode("79.Q1_02") || ValidOfficeCode("") || ValidOfficeCode("UBND xã An Bình") ||
		ValidOfficeCode(strings.Repeat("A", 65)) || ValidOfficeCode("HN/01") {
		t.Fatal("ValidOfficeCode")
	}
	if _, err := s.CreateBatch(ctx, f.clerk, BatchSpec{Office: "UBND xã An Bình"}); !errors.Is(err, ErrBadOffice) {
		t.Fatalf("office with spaces: %v", err)
	}
	// No workstation office: a batch without one is refused before keying, with the fix.
	bare, err := s.CreateBatch(ctx, f.clerk, BatchSpec{Name: "Lô chưa có đơn vị"})
	if err != nil || bare.Office != "" {
		t.Fatalf("batch without office: %+v %v", bare, err)
	}
	var oe *OfficeError
	err = s.Transition(ctx, f.clerk, bare.ID, StateKeying, "")
	if !errors.As(err, &oe) || oe.Reason != "missing" || !strings.Contains(err.Error(), "sohoa batch office") || !strings.Contains(err.Error(), "chưa có mã đơn vị") {
		t.Fatalf("keying a batch without office: %v", err)
	}
	// The office set by hand becomes the default.
	if err := s.SetSetting(ctx, f.admin, SettingOffice, "HN-01"); err != nil {
		t.Fatal(err)
	}
	if b, err := s.CreateBatch(ctx, f.clerk, BatchSpec{}); err != nil || b.Office != "HN-01" {
		t.Fatalf("default office: %+v %v", b, err)
	}
	other, err := s.CreateBatch(ctx, f.clerk, BatchSpec{Name: "Lô HCM", Office: "HCM-02"}) // allowed: not enrolled yet
	if err != nil {
		t.Fatal(err)
	}
	otherDoc, pages, err := s.AddDocument(ctx, f.clerk, NewDocument{BatchID: other.ID, Origin: "x.png", Pages: []PageInput{pngPage(t, 10, 10, 5)}})
	if err != nil {
		t.Fatal(err)
	}
	s.SaveOCR(ctx, pages[0].ID, OCRResult{Text: "x", MeanConf: 90, Engine: "e", Model: "m"})

	// Enrolled for HN-01: the enrolled office wins, others are refused.
	if err := s.SetSettings(ctx, f.admin, map[string]string{SettingEnrolledOffice: "HN-01"}); err != nil {
		t.Fatal(err)
	}
	if ws, enrolled, err := s.WorkstationOffice(ctx); ws != "HN-01" || !enrolled || err != nil {
		t.Fatalf("workstation office %q %v %v", ws, enrolled, err)
	}
	if offs, _ := s.KnownOffices(ctx); len(offs) != 1 || offs[0] != "HN-01" {
		t.Fatalf("known offices when enrolled: %v", offs)
	}
	if _, err := s.CreateBatch(ctx, f.clerk, BatchSpec{Office: "HCM-02"}); !errors.As(err, &oe) || oe.Reason != "other" {
		t.Fatalf("creating a batch of another office: %v", err)
	}
	_, err = s.Submit(ctx, f.clerk, other.ID, f.check, true)
	if !errors.As(err, &oe) || oe.Reason != "other" || oe.Office != "HCM-02" || oe.Want != "HN-01" ||
		!strings.Contains(oe.Localize("vi"), "HCM-02") || !strings.Contains(oe.Localize("en"), "enrolled for office HN-01") {
		t.Fatalf("submit of another office's batch: %v", err)
	}
	if err := s.SetField(ctx, f.clerk, otherDoc.ID, "so", "1", SourceKeyed, 1); !errors.As(err, &oe) {
		t.Fatalf("keying a value of another office's batch: %v", err)
	}
	if err := s.SetField(ctx, User{}, otherDoc.ID, "so", "1", SourceOCR, 0.9); err != nil {
		t.Fatalf("OCR pre-fill of another office's batch: %v", err)
	}
	// Only an administrator changes the office, to the enrolled one.
	if err := s.SetBatchOffice(ctx, f.clerk, other.ID, "HN-01"); !errors.Is(err, ErrNotPermitted) {
		t.Fatalf("clerk changes the office: %v", err)
	}
	if err := s.SetBatchOffice(ctx, f.admin, other.ID, "HN 01"); !errors.Is(err, ErrBadOffice) {
		t.Fatalf("bad code: %v", err)
	}
	if err := s.SetBatchOffice(ctx, f.admin, other.ID, "HN-02"); !errors.As(err, &oe) {
		t.Fatalf("an office other than the enrolled one: %v", err)
	}
	if err := s.SetBatchOffice(ctx, f.admin, other.ID, "HN-01"); err != nil {
		t.Fatal(err)
	}
	ev, _ := s.AuditLog(ctx, 1)
	if ev[0].Action != "batch.office" || ev[0].Detail != "HCM-02→HN-01" || ev[0].Actor != "admin" {
		t.Fatalf("audit %+v", ev[0])
	}
	if _, err := s.Submit(ctx, f.clerk, other.ID, f.check, true); err != nil {
		t.Fatalf("submit after the fix: %v", err)
	}
	// Until signing: a signed batch keeps its office.
	f.submit(t)
	if err := s.Approve(ctx, f.sup1, f.batch.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.SetBatchOffice(ctx, f.admin, f.batch.ID, "HN-01"); err != nil { // same office: nothing to do
		t.Fatal(err)
	}
	if err := s.Transition(ctx, f.sup1, f.batch.ID, StateSigned, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.SetBatchOffice(ctx, f.admin, f.batch.ID, "HN-01"); !errors.Is(err, ErrOfficeSigned) {
		t.Fatalf("office change of a signed batch: %v", err)
	}
}

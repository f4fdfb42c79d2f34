package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// RegisterRecordTypes inserts record types that are missing and updates the names of
// those that changed (an upsert), in one transaction. Types already present with the same
// names are left alone, so calling it at every start writes nothing; each insert or rename
// is audited. Record types are never deleted: batches refer to them.
func (s *Store) RegisterRecordTypes(ctx context.Context, types []RecordType) error {
	for _, t := range types {
		if t.Key == "" || strings.TrimSpace(t.NameVi) == "" || strings.TrimSpace(t.NameEn) == "" {
			return fmt.Errorf("record type %q: key and both names are required", t.Key)
		}
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		for _, t := range types {
			vi, en := norm.NFC.String(t.NameVi), norm.NFC.String(t.NameEn)
			var oldVi, oldEn string
			err := tx.QueryRowContext(ctx, `SELECT name_vi, name_en FROM record_types WHERE key = ?`, t.Key).Scan(&oldVi, &oldEn)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				if _, err := tx.ExecContext(ctx, `INSERT INTO record_types(key, name_vi, name_en) VALUES (?,?,?)`, t.Key, vi, en); err != nil {
					return err
				}
				if err := s.audit(tx, "system", "recordtype.add", "record_type:"+t.Key, ""); err != nil {
					return err
				}
			case err != nil:
				return err
			case oldVi != vi || oldEn != en:
				if _, err := tx.ExecContext(ctx, `UPDATE record_types SET name_vi = ?, name_en = ? WHERE key = ?`, vi, en, t.Key); err != nil {
					return err
				}
				if err := s.audit(tx, "system", "recordtype.rename", "record_type:"+t.Key, ""); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// InstallRecordType records that an administrator added or replaced a local record type (its
// definition file is already durable, records.Install): the type is registered (or renamed)
// and an audit event names who did it. Other roles are refused.
func (s *Store) InstallRecordType(ctx context.Context, actor User, t RecordType) error {
	if err := Require(actor, ActionManageTypes); err != nil {
		return err
	}
	if err := s.RegisterRecordTypes(ctx, []RecordType{t}); err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		return s.audit(tx, actor.Username, "recordtype.install", "record_type:"+t.Key, "")
	})
}

// AuditCatalogue records that actor (an administrator) loaded an administrative-unit
// catalogue into the data folder; what says what it holds (counts, no personal data).
func (s *Store) AuditCatalogue(ctx context.Context, actor User, what string) error {
	if err := Require(actor, ActionManageTypes); err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		return s.audit(tx, actor.Username, "catalogue.install", "catalogue:admin_units", what)
	})
}

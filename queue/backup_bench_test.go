package queue

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkBackupRestore: Store.Backup and Restore of a store of $BENCH_BACKUP_PAGES pages
// (default 200) of $BENCH_BACKUP_KB KiB each (default 200, the size of a 200-dpi scan),
// reported as MB/s of blob data; scripts/bench-backup.sh runs it beside sqlite3 .backup and
// cp -a of the same folder.
func BenchmarkBackupRestore(b *testing.B) {
	pages := envInt("BENCH_BACKUP_PAGES", 200)
	kb := envInt("BENCH_BACKUP_KB", 200)
	dir := b.TempDir()
	s, err := Open(filepath.Join(dir, "data"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	admin, err := s.CreateUser(ctx, nil, "admin", "Quản Trị", "mật-khẩu-dài", []Role{RoleAdmin, RoleClerk})
	if err != nil {
		b.Fatal(err)
	}
	bt, err := s.CreateBatch(ctx, admin, BatchSpec{Office: "HN-01"})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < pages; i++ {
		data := make([]byte, kb<<10)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		if _, _, err := s.AddDocument(ctx, admin, NewDocument{BatchID: bt.ID, Origin: strconv.Itoa(i), SourceHash: strconv.Itoa(i),
			Pages: []PageInput{{Data: data, Format: "png", Width: 1654, Height: 2339, DPI: 200}}}); err != nil {
			b.Fatal(err)
		}
	}
	mb := float64(pages*kb) / 1024
	var backup, restore time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dest := filepath.Join(dir, fmt.Sprintf("backup-%d", i))
		t0 := time.Now()
		if _, err := s.Backup(ctx, admin, dest); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := Restore(ctx, dest, filepath.Join(dir, fmt.Sprintf("restored-%d", i))); err != nil {
			b.Fatal(err)
		}
		backup, restore = backup+t1.Sub(t0), restore+time.Since(t1)
		b.StopTimer()
		os.RemoveAll(dest)
		os.RemoveAll(filepath.Join(dir, fmt.Sprintf("restored-%d", i)))
		b.StartTimer()
	}
	if os.Getenv("BENCH_BACKUP_REFERENCE") != "" {
		// The reference: sqlite3's own .backup of the database, cp -a of the rest, sync.
		b.StopTimer()
		ref := filepath.Join(dir, "reference")
		os.Mkdir(ref, 0o700)
		t0 := time.Now()
		for _, c := range [][]string{
			{"sqlite3", filepath.Join(s.Dir(), DBFile), ".backup '" + filepath.Join(ref, DBFile) + "'"},
			{"cp", "-a", filepath.Join(s.Dir(), "blobs"), filepath.Join(s.Dir(), AuditKeyFile), filepath.Join(s.Dir(), AuditHeadFile), ref},
			{"sync", "-f", filepath.Join(ref, DBFile)},
		} {
			if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
				b.Fatalf("%v: %v %s", c, err, out)
			}
		}
		b.ReportMetric(mb/time.Since(t0).Seconds(), "MB/s-sqlite3+cp")
		b.StartTimer()
	}
	b.ReportMetric(mb*float64(b.N)/backup.Seconds(), "MB/s-backup")
	b.ReportMetric(mb*float64(b.N)/restore.Seconds(), "MB/s-restore")
	b.ReportMetric(mb, "MB")
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
)

// ErrNoBinaries is returned when initdb/postgres are not installed.
var ErrNoBinaries = errors.New("PostgreSQL server binaries not found (initdb, postgres): run `make setup` (Debian package postgresql) or set PG_BIN")

// BinDir finds the PostgreSQL binaries: $PG_BIN, else the newest /usr/lib/postgresql/*/bin.
func BinDir() (string, error) {
	if d := os.Getenv("PG_BIN"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
		return "", ErrNoBinaries
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return verOf(dirs[i]) > verOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

func verOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// Cluster is a running throwaway PostgreSQL.
type Cluster struct {
	Dir    string
	Port   int
	cmd    *exec.Cmd
	bin    string
	asPG   bool
	n      atomic.Int64
	user   string
	exited chan error
}

// command runs a PostgreSQL binary, as the postgres user when we are root. The child gets
// SIGTERM if the test process dies (killed by a timeout), so no server outlives its tests.
func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.asPG {
		// setpriv sets the parent-death signal after changing user (a uid change clears it).
		cmd = exec.Command("setpriv", append([]string{"--reuid=postgres", "--regid=postgres", "--init-groups", "--pdeathsig=TERM", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	return cmd
}

// Start initializes and starts a cluster in a new temporary folder.
func Start(ctx context.Context) (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin, asPG: os.Geteuid() == 0}
	dir, err := os.MkdirTemp("", "sohoa-pgtest-")
	if err != nil {
		return nil, err
	}
	c.Dir = dir
	c.user = "postgres"
	if c.asPG {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root needs the postgres user (Debian package postgresql): %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	} else if u, err := user.Current(); err == nil {
		c.user = u.Username
	}
	data := filepath.Join(dir, "data")
	out, err := c.command("initdb", "-D", data, "-U", c.user, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync").CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c.Port = port
	logf, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logf.Close()
	c.cmd = c.command("postgres", "-D", data, "-k", dir, "-h", "127.0.0.1", "-p", strconv.Itoa(port),
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200",
		"-c", "shared_buffers=32MB")
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	if err := c.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- c.cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		db, _ := sql.Open("pgx", c.DSN("postgres"))
		err = db.PingContext(ctx)
		db.Close()
		if err == nil {
			break
		}
		select {
		case e := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
			os.RemoveAll(dir)
			return nil, fmt.Errorf("postgres exited: %v: %s", e, log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.Stop()
			return nil, fmt.Errorf("postgres did not accept connections: %w", err)
		}
	}
	c.exited = exited
	return c, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// DSN is a connection string for database db.
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", c.user, c.Port, db)
}

// NewDatabase creates a fresh empty database and returns its DSN.
func (c *Cluster) NewDatabase(ctx context.Context) (string, error) {
	name := fmt.Sprintf("t%d", c.n.Add(1))
	db, err := sql.Open("pgx", c.DSN("postgres"))
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	return c.DSN(name), nil
}

// Stop stops the server (fast shutdown) and removes the folder.
func (c *Cluster) Stop() error {
	var err error
	if c.cmd != nil && c.cmd.Process != nil {
		out, e := c.command("pg_ctl", "stop", "-D", filepath.Join(c.Dir, "data"), "-m", "immediate", "-w").CombinedOutput()
		if e != nil {
			c.cmd.Process.Kill()
			err = fmt.Errorf("pg_ctl stop: %v: %s", e, out)
		}
		if c.exited != nil {
			select {
			case <-c.exited:
			case <-time.After(30 * time.Second):
				c.cmd.Process.Kill()
			}
		}
	}
	if e := os.RemoveAll(c.Dir); e != nil && err == nil {
		err = e
	}
	return err
}

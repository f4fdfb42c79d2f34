// Package s3test starts a throwaway SeaweedFS (`weed server -s3`) on loopback for the tests
// of the S3 blob store and of several central servers: a real S3 implementation, not a
// stand-in. The weed binary is built once by scripts/build-seaweedfs.sh (`make setup`).
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/sohoa/sohoa/sync/store"
)

// Version is the SeaweedFS module version scripts/build-seaweedfs.sh builds.
const Version = "v0.0.0-20261109003541-7506e5f91cd6"

// ErrNoBinary is returned when the weed binary has not been built.
var ErrNoBinary = errors.New("SeaweedFS weed binary not found: run `make setup` (scripts/build-seaweedfs.sh) or set SOHOA_WEED")

// Binary finds weed: $SOHOA_WEED, else $SOHOA_CACHE (default ~/.cache/sohoa)/weed-<Version>.
func Binary() (string, error) {
	p := os.Getenv("SOHOA_WEED")
	if p == "" {
		cache := os.Getenv("SOHOA_CACHE")
		if cache == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", ErrNoBinary
			}
			cache = filepath.Join(home, ".cache", "sohoa")
		}
		p = filepath.Join(cache, "weed-"+Version)
	}
	if st, err := os.Stat(p); err != nil || st.IsDir() {
		return "", ErrNoBinary
	}
	return p, nil
}

// Server is a running SeaweedFS with its S3 gateway on 127.0.0.1.
type Server struct {
	Endpoint  string // 127.0.0.1:PORT of the S3 API
	AccessKey string
	SecretKey string
	Dir       string
	cmd       *exec.Cmd
	exited    chan error
	n         atomic.Int64
}

// freePort finds a port p such that p and p+10000 (weed's gRPC port beside each HTTP port)
// are both free. Both lie below Linux's ephemeral range (32768-60999), so no other test's
// listener on :0 or outgoing connection takes one between this check and weed's bind (a port
// from :0 here did collide: weed then exits with "address already in use").
func freePort() (int, error) {
	for i := 0; i < 500; i++ {
		p := 10000 + mrand.IntN(12000)
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		l2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+10000))
		l.Close()
		if err == nil {
			l2.Close()
			return p, nil
		}
	}
	return 0, errors.New("no free port pair")
}

// Start runs weed server -s3 in dir (a new temporary folder when "") and waits until the S3
// API answers. The child gets SIGTERM if the test process dies.
func Start(ctx context.Context, dir string) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "sohoa-weed-"); err != nil {
			return nil, err
		}
	}
	key := make([]byte, 16)
	rand.Read(key)
	s := &Server{AccessKey: "sohoa-test", SecretKey: hex.EncodeToString(key), Dir: dir, exited: make(chan error, 1)}
	conf := map[string]any{"identities": []any{map[string]any{
		"name":        "sohoa",
		"credentials": []any{map[string]string{"accessKey": s.AccessKey, "secretKey": s.SecretKey}},
		"actions":     []string{"Admin", "Read", "Write", "List", "Tagging"},
	}}}
	raw, _ := json.Marshal(conf)
	confPath := filepath.Join(dir, "s3.json")
	if err := os.WriteFile(confPath, raw, 0o600); err != nil {
		return nil, err
	}
	var ports [4]int
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	os.MkdirAll(data, 0o700)
	s.Endpoint = "127.0.0.1:" + strconv.Itoa(ports[3])
	args := []string{"server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-dir=" + data,
		"-master.port=" + strconv.Itoa(ports[0]), "-volume.port=" + strconv.Itoa(ports[1]),
		"-filer.port=" + strconv.Itoa(ports[2]), "-s3", "-s3.port=" + strconv.Itoa(ports[3]),
		"-s3.config=" + confPath, "-master.volumeSizeLimitMB=64", "-volume.max=0"}
	log, err := os.Create(filepath.Join(dir, "weed.log"))
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, args...)
	// SeaweedFS offers SSE-S3 once it has a key-encryption key (security.toml s3.sse.kek,
	// or this variable): a random one per test server.
	kek := make([]byte, 32)
	rand.Read(kek)
	s.cmd.Env = append(os.Environ(), "WEED_S3_SSE_KEK="+hex.EncodeToString(kek))
	s.cmd.Stdout, s.cmd.Stderr = log, log
	s.cmd.Dir = dir
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM, Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	go func() { s.exited <- s.cmd.Wait(); log.Close() }()
	c, err := s.Client()
	if err != nil {
		s.Stop()
		return nil, err
	}
	deadline := time.Now().Add(120 * time.Second)
	probe := "probe-" + hex.EncodeToString(key[:4])
	for {
		err := c.MakeBucket(ctx, probe, minio.MakeBucketOptions{})
		if err == nil {
			c.RemoveBucket(ctx, probe)
			return s, nil
		}
		select {
		case e := <-s.exited:
			tail, _ := os.ReadFile(filepath.Join(dir, "weed.log"))
			if len(tail) > 2000 {
				tail = tail[len(tail)-2000:]
			}
			return nil, fmt.Errorf("weed exited (%v): %s", e, tail)
		case <-ctx.Done():
			s.Stop()
			return nil, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("SeaweedFS S3 did not answer within 2 minutes: %v (log: %s)", err, filepath.Join(dir, "weed.log"))
		}
	}
}

// Client is a minio client of the S3 API.
func (s *Server) Client() (*minio.Client, error) {
	return minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), Secure: false})
}

// Config is the S3Config of a new, empty bucket (made by NewS3Blobs).
func (s *Server) Config() store.S3Config {
	b := make([]byte, 4)
	rand.Read(b)
	return store.S3Config{Endpoint: s.Endpoint, Bucket: fmt.Sprintf("t%d-%s", s.n.Add(1), hex.EncodeToString(b)),
		AccessKey: s.AccessKey, SecretKey: s.SecretKey, CreateBucket: true}
}

// URL is the --blobs URL of cfg (credentials come from the environment or a file).
func URL(cfg store.S3Config) string {
	return "s3://" + cfg.Bucket + "?endpoint=" + cfg.Endpoint + "&insecure=1&create=1"
}

// Stop ends the server (its folder is left to the caller).
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
}

// Command sohoa-load measures the central server under load (issue 16; scripts/bench-central.sh):
// N simulated workstations (internal/loadgen) against one server on local disk (SQLite, blobs
// in its data folder) and against two servers on PostgreSQL and SeaweedFS (S3) behind HAProxy,
// in the same run, then once more with one of the two killed (-9) a third of the way through.
// Everything runs on loopback; it writes a Markdown report.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sohoa/sohoa/internal/loadgen"
	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/store/pgtest"
	"github.com/sohoa/sohoa/sync/store/s3test"
)

type opts struct {
	central             string
	workstations        int
	batches, docs, side int
	flaky               int
	out                 string
	signer              *sign.Signer
	rootPEM             string
	work                string
	scenarios           string
}

func main() {
	var o opts
	flag.StringVar(&o.central, "central", "bin/sohoa-central", "the sohoa-central binary")
	flag.IntVar(&o.workstations, "workstations", 100, "simulated workstations")
	flag.IntVar(&o.batches, "batches", 2, "batches per workstation")
	flag.IntVar(&o.docs, "docs", 2, "documents per batch (a page image and its signed PDF each)")
	flag.IntVar(&o.side, "page", 512, "page image side in pixels (grey PNG of about side² bytes; the PDF embeds it)")
	flag.IntVar(&o.flaky, "flaky", 10, "percent of uploads broken off half-way (then resumed)")
	flag.StringVar(&o.out, "out", "bench/REPORT-central.md", "report file")
	flag.StringVar(&o.scenarios, "scenarios", "local,ha,ha-kill", "comma-separated: local, ha, ha-kill")
	flag.Parse()
	if err := mainErr(o); err != nil {
		fmt.Fprintln(os.Stderr, "sohoa-load:", err)
		os.Exit(1)
	}
}

// proc is one sohoa-central process.
type proc struct {
	cmd  *exec.Cmd
	addr string
	dir  string
	cpu  time.Duration // CPU time of earlier processes in this slot (killed ones)
	rss  int64         // peak RSS of earlier processes, bytes
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// usage reads a process's CPU time (user+system) and peak RSS from /proc.
func usage(pid int) (time.Duration, int64) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0
	}
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	cpu := time.Duration(ut+st) * time.Second / 100 // USER_HZ
	var rss int64
	if s, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, l := range strings.Split(string(s), "\n") {
			if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				rss = kb << 10
			}
		}
	}
	return cpu, rss
}

func (p *proc) usage() (time.Duration, int64) {
	c, r := usage(p.cmd.Process.Pid)
	return p.cpu + c, max(p.rss, r)
}

func (o *opts) start(dir, addr string, extra []string, env []string) (*proc, error) {
	os.MkdirAll(dir, 0o700)
	args := append([]string{"serve", "--data", dir, "--listen", addr, "--trust", o.rootPEM,
		"--max-conns-per-addr", "-1", "--enroll-rate", "1000"}, extra...)
	cmd := exec.Command(o.central, args...)
	cmd.Env = append(os.Environ(), env...)
	logf, err := os.OpenFile(filepath.Join(dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { cmd.Wait(); logf.Close() }()
	p := &proc{cmd: cmd, addr: addr, dir: dir}
	for i := 0; i < 1200; i++ {
		if c := clientFor(dir); c != nil {
			if resp, err := c.Get("https://" + addr + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return p, nil
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
	return nil, fmt.Errorf("server in %s did not come up: %s", dir, log)
}

func rootsFor(dir string) *x509.CertPool {
	pemCert, err := os.ReadFile(filepath.Join(dir, server.TLSCertFile))
	if err != nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemCert)
	return pool
}

func clientFor(dir string) *http.Client {
	pool := rootsFor(dir)
	if pool == nil {
		return nil
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func copyKeys(src, dst string) error {
	os.MkdirAll(dst, 0o700)
	for _, f := range []string{server.ReceiptKeyFile, server.DataKeyFile, server.TLSCertFile, server.TLSKeyFile} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// codes makes the enrollment codes and a reader token in st.
func (o *opts) codes(ctx context.Context, st store.Store) ([]string, string, error) {
	defer st.Close()
	var out []string
	for i := 0; i < o.workstations; i++ {
		c, err := server.NewEnrollCode(ctx, st, "HN-01", 24*time.Hour, time.Now())
		if err != nil {
			return nil, "", err
		}
		out = append(out, c)
	}
	_, tok, err := server.NewReaderToken(ctx, st, "cổng tải", "", time.Now())
	return out, tok, err
}

type scenario struct {
	name string
	res  loadgen.Result
	cpu  []time.Duration // per server, sampled when the load ended
	rss  []int64
}

func (s *scenario) sample(ps []*proc) {
	for _, p := range ps {
		c, r := p.usage()
		s.cpu, s.rss = append(s.cpu, c), append(s.rss, r)
	}
}

func (o *opts) load(ctx context.Context, url string, roots *x509.CertPool, codes []string, reader string, flaky int, progress func(int64)) (loadgen.Result, error) {
	return loadgen.Run(ctx, loadgen.Config{URL: url, RootCAs: roots, Codes: codes, ReaderToken: reader, Batches: o.batches,
		Docs: o.docs, PageSide: o.side, FlakyPercent: flaky, Signer: o.signer, Seed: uint64(time.Now().UnixNano()), OnProgress: progress})
}

func (o *opts) local(ctx context.Context) (scenario, error) {
	dir := filepath.Join(o.work, "local")
	os.MkdirAll(dir, 0o700)
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, server.CentralDBFile))
	if err != nil {
		return scenario{}, err
	}
	codes, reader, err := o.codes(ctx, st)
	if err != nil {
		return scenario{}, err
	}
	p, err := o.start(dir, freeAddr(), nil, nil)
	if err != nil {
		return scenario{}, err
	}
	defer p.cmd.Process.Kill()
	res, err := o.load(ctx, "https://"+p.addr, rootsFor(dir), codes, reader, o.flaky, nil)
	s := scenario{name: "1 server: SQLite + local disk", res: res}
	s.sample([]*proc{p})
	return s, err
}

// cluster is two servers on PostgreSQL + SeaweedFS behind HAProxy.
type cluster struct {
	procs [2]*proc
	args  []string
	env   []string
	front string
	stop  []func()
}

func (o *opts) cluster(ctx context.Context, name string) (*cluster, []string, string, error) {
	c := &cluster{}
	pg, err := pgtest.Start(ctx)
	if err != nil {
		return nil, nil, "", fmt.Errorf("PostgreSQL: %w", err)
	}
	c.stop = append(c.stop, func() { pg.Stop() })
	dsn, err := pg.NewDatabase(ctx)
	if err != nil {
		return c, nil, "", err
	}
	weed, err := s3test.Start(ctx, "")
	if err != nil {
		return c, nil, "", fmt.Errorf("SeaweedFS: %w", err)
	}
	c.stop = append(c.stop, func() { weed.Stop(); os.RemoveAll(weed.Dir) })
	cfg := weed.Config()
	c.args = []string{"--db", dsn, "--blobs", s3test.URL(cfg)}
	c.env = []string{"AWS_ACCESS_KEY_ID=" + weed.AccessKey, "AWS_SECRET_ACCESS_KEY=" + weed.SecretKey}
	st, err := store.OpenPostgres(ctx, dsn)
	if err != nil {
		return c, nil, "", err
	}
	codes, reader, err := o.codes(ctx, st)
	if err != nil {
		return c, nil, "", err
	}
	dirs := [2]string{filepath.Join(o.work, name, "server1"), filepath.Join(o.work, name, "server2")}
	if c.procs[0], err = o.start(dirs[0], freeAddr(), c.args, c.env); err != nil {
		return c, nil, "", err
	}
	c.stop = append(c.stop, func() { c.procs[0].cmd.Process.Kill() })
	if err := copyKeys(dirs[0], dirs[1]); err != nil {
		return c, nil, "", err
	}
	if c.procs[1], err = o.start(dirs[1], freeAddr(), c.args, c.env); err != nil {
		return c, nil, "", err
	}
	c.stop = append(c.stop, func() { c.procs[1].cmd.Process.Kill() })
	c.front = freeAddr()
	hcfg := filepath.Join(o.work, name, "haproxy.cfg")
	os.WriteFile(hcfg, []byte(loadgen.HAProxyConfig(c.front, []string{c.procs[0].addr, c.procs[1].addr}, "roundrobin")), 0o600)
	hp := exec.Command("haproxy", "-db", "-f", hcfg)
	hp.Stdout, hp.Stderr = io.Discard, io.Discard
	hp.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := hp.Start(); err != nil {
		return c, nil, "", fmt.Errorf("haproxy: %w", err)
	}
	c.stop = append(c.stop, func() { hp.Process.Kill(); hp.Wait() })
	for i := 0; ; i++ {
		if cn, err := net.Dial("tcp", c.front); err == nil {
			cn.Close()
			break
		}
		if i > 200 {
			return c, nil, "", fmt.Errorf("haproxy did not listen")
		}
		time.Sleep(25 * time.Millisecond)
	}
	return c, codes, reader, nil
}

func (c *cluster) close() {
	for i := len(c.stop) - 1; i >= 0; i-- {
		c.stop[i]()
	}
}

func (o *opts) ha(ctx context.Context, kill bool) (scenario, error) {
	name := "ha"
	if kill {
		name = "ha-kill"
	}
	c, codes, reader, err := o.cluster(ctx, name)
	if c != nil {
		defer c.close()
	}
	if err != nil {
		return scenario{}, err
	}
	total := int64(o.workstations * o.batches)
	var once sync.Once
	var killed sync.WaitGroup
	progress := func(n int64) {
		if !kill || n < total/3 {
			return
		}
		once.Do(func() {
			killed.Add(1)
			go func() {
				defer killed.Done()
				fmt.Fprintf(os.Stderr, "killing server 1 after %d commits\n", n)
				p := c.procs[0]
				cpu, rss := p.usage()
				p.cmd.Process.Signal(syscall.SIGKILL)
				time.Sleep(2 * time.Second)
				np, err := o.start(p.dir, p.addr, c.args, c.env)
				if err != nil {
					fmt.Fprintln(os.Stderr, "restart:", err)
					return
				}
				np.cpu, np.rss = cpu, rss
				c.procs[0] = np
			}()
		})
	}
	flaky := o.flaky
	if kill {
		flaky = 0 // every byte sent again is the kill's
	}
	res, err := o.load(ctx, "https://"+c.front, rootsFor(c.procs[0].dir), codes, reader, flaky, progress)
	killed.Wait()
	s := scenario{name: "2 servers: PostgreSQL + SeaweedFS (S3) behind HAProxy", res: res}
	s.sample(c.procs[:])
	if kill {
		s.name += ", server 1 killed (-9) at 1/3, restarted 2 s later; no injected breaks"
	}
	return s, err
}

func mainErr(o opts) error {
	ctx := context.Background()
	var err error
	if o.work, err = os.MkdirTemp("", "sohoa-load-"); err != nil {
		return err
	}
	defer os.RemoveAll(o.work)
	signer, root, err := loadgen.NewTestPKI("Người Duyệt Tải")
	if err != nil {
		return err
	}
	o.signer = signer
	o.rootPEM = filepath.Join(o.work, "root.pem")
	if err := os.WriteFile(o.rootPEM, root, 0o600); err != nil {
		return err
	}
	var out []scenario
	for _, name := range strings.Split(o.scenarios, ",") {
		var s scenario
		switch strings.TrimSpace(name) {
		case "local":
			s, err = o.local(ctx)
		case "ha":
			s, err = o.ha(ctx, false)
		case "ha-kill":
			s, err = o.ha(ctx, true)
		default:
			return fmt.Errorf("unknown scenario %q", name)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(os.Stderr, "%s: %d committed, %d failed in %v; blob bytes %d, sent %d, in broken uploads %d (injected) %d (faults), %d retries\n",
			s.name, s.res.Committed, s.res.Failed, s.res.Wall.Round(time.Millisecond), s.res.BlobBytes, s.res.BlobSent, s.res.BrokenFlaky, s.res.BrokenFault, s.res.Retries)
		out = append(out, s)
	}
	return os.WriteFile(o.out, []byte(o.report(out)), 0o644)
}

func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

func mib(n int64) string { return fmt.Sprintf("%.1f", float64(n)/(1<<20)) }

func (o *opts) report(ss []scenario) string {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "# Central server under load (issue 16)\n\n")
	fmt.Fprintf(&b, "Generated by `scripts/bench-central.sh` (cmd/sohoa-load) on %s, %s, %d cores (shared with other jobs at the time: figures vary between runs; compare the rows of one run).\n\n",
		time.Now().UTC().Format("2006-01-02T15:04Z"), host, runtime.NumCPU())
	fmt.Fprintf(&b, "%d simulated workstations at once, each enrolling, then %d batches of %d documents (a %d×%d grey page PNG and the PAdES-signed PDF embedding it, about %s KiB each), a CMS-signed manifest, commit, receipt verified, batch read back through the read API. ",
		o.workstations, o.batches, o.docs, o.side, o.side, strconv.Itoa(o.side*o.side/1024))
	fmt.Fprintf(&b, "Flaky links: %d %% of uploads break off at a random byte and resume (HEAD, ranged PUTs). Blobs encrypted at rest (the default) in every row; servers verify every signature (--trust).\n\n", o.flaky)
	b.WriteString("| setup | batches committed / failed | wall s | batches/s | blob MiB/s | commit p50 / p99 ms | batch p50 / p99 ms | read p50 / p99 ms | MiB re-sent | KiB in cut uploads: injected / fault | retries | server CPU s | server peak RSS MiB |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range ss {
		r := s.res
		var cpus, rss []string
		for i := range s.cpu {
			cpus, rss = append(cpus, fmt.Sprintf("%.1f", s.cpu[i].Seconds())), append(rss, mib(s.rss[i]))
		}
		fmt.Fprintf(&b, "| %s | %d / %d | %.1f | %.2f | %.1f | %s / %s | %s / %s | %s / %s | %s | %d / %d | %d | %s | %s |\n",
			s.name, r.Committed, r.Failed, r.Wall.Seconds(), float64(r.Committed)/r.Wall.Seconds(),
			float64(r.BlobBytes)/(1<<20)/r.Wall.Seconds(),
			ms(loadgen.Percentile(r.Commit, 50)), ms(loadgen.Percentile(r.Commit, 99)),
			ms(loadgen.Percentile(r.Batch, 50)), ms(loadgen.Percentile(r.Batch, 99)),
			ms(loadgen.Percentile(r.Read, 50)), ms(loadgen.Percentile(r.Read, 99)),
			mib(r.BlobSent-r.BlobBytes), r.BrokenFlaky>>10, r.BrokenFault>>10, r.Retries, strings.Join(cpus, " + "), strings.Join(rss, " / "))
	}
	b.WriteString("\nMiB re-sent: blob bytes sent beyond the blobs' own size (after an injected break, or after the kill). KiB in cut uploads: body bytes of the uploads that broke off, by an injected break or by a server fault (the kill); what of them the server had staged is not sent again. Retries: requests repeated after a transport error, a 5xx or a 429. Server CPU and RSS are the sohoa-central processes' own (/proc), not PostgreSQL's, SeaweedFS's or HAProxy's, which share the same 2 cores; a killed server's figures are added to its restart's.\n")
	for _, s := range ss {
		if len(s.res.Errors) > 0 {
			fmt.Fprintf(&b, "\nErrors (%s): %s\n", s.name, strings.Join(s.res.Errors, "; "))
		}
	}
	return b.String()
}

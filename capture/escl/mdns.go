package escl

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sohoa/sohoa/capture"
	"golang.org/x/net/dns/dnsmessage"
)

// Service types of eSCL scanners in DNS-SD.
const (
	serviceHTTP  = "_uscan._tcp.local."
	serviceHTTPS = "_uscans._tcp.local."
)

// ErrDiscoveryUnavailable is returned when mDNS cannot be used here (no
// multicast-capable network); devices can still be entered by address.
var ErrDiscoveryUnavailable = errors.New("escl: network discovery (mDNS) is not available; enter the scanner address by hand")

var mdnsGroup = netip.MustParseAddrPort("224.0.0.251:5353")

// buildQuery makes a one-shot mDNS query (RFC 6762 §5.1) for the PTR records
// of both eSCL service types, asking for unicast answers.
func buildQuery() ([]byte, error) {
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	for _, s := range []string{serviceHTTP, serviceHTTPS} {
		if err := b.Question(dnsmessage.Question{
			Name:  dnsmessage.MustNewName(s),
			Type:  dnsmessage.TypePTR,
			Class: dnsmessage.ClassINET | 1<<15, // QU: unicast response wanted
		}); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

// service is one eSCL scanner announced over DNS-SD.
type service struct {
	instance string // "HP OfficeJet ... ._uscan._tcp.local."
	tls      bool
	host     string
	port     uint16
	addrs    []netip.Addr
	txt      map[string]string
}

// parseResponse reads one mDNS answer and returns the eSCL services it
// describes completely (instance, SRV target and port, and an address).
// Records may come in the answer or additional sections, in any order.
func parseResponse(msg []byte) ([]service, error) {
	var p dnsmessage.Parser
	if _, err := p.Start(msg); err != nil {
		return nil, fmt.Errorf("escl: mDNS packet: %w", err)
	}
	if err := p.SkipAllQuestions(); err != nil {
		return nil, fmt.Errorf("escl: mDNS packet: %w", err)
	}
	var (
		ptrs  []string
		srv   = map[string]dnsmessage.SRVResource{}
		txt   = map[string][]string{}
		addrs = map[string][]netip.Addr{}
	)
	read := func() error {
		for {
			h, err := p.AnswerHeader()
			if errors.Is(err, dnsmessage.ErrSectionDone) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := record(&p, h, &ptrs, srv, txt, addrs); err != nil {
				return err
			}
		}
	}
	if err := read(); err != nil {
		return nil, fmt.Errorf("escl: mDNS answers: %w", err)
	}
	if err := p.SkipAllAuthorities(); err != nil {
		return nil, fmt.Errorf("escl: mDNS authorities: %w", err)
	}
	for {
		h, err := p.AdditionalHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("escl: mDNS additionals: %w", err)
		}
		if err := record(&p, h, &ptrs, srv, txt, addrs); err != nil {
			return nil, fmt.Errorf("escl: mDNS additionals: %w", err)
		}
	}
	var out []service
	for _, inst := range ptrs {
		s, ok := srv[strings.ToLower(inst)]
		if !ok {
			continue
		}
		host := s.Target.String()
		as := addrs[strings.ToLower(host)]
		if len(as) == 0 || s.Port == 0 {
			continue
		}
		sv := service{instance: inst, tls: strings.HasSuffix(strings.ToLower(inst), serviceHTTPS),
			host: host, port: s.Port, addrs: as, txt: map[string]string{}}
		for _, kv := range txt[strings.ToLower(inst)] {
			k, v, _ := strings.Cut(kv, "=")
			sv.txt[strings.ToLower(k)] = v
		}
		out = append(out, sv)
	}
	return out, nil
}

func record(p *dnsmessage.Parser, h dnsmessage.ResourceHeader, ptrs *[]string, srv map[string]dnsmessage.SRVResource,
	txt map[string][]string, addrs map[string][]netip.Addr) error {
	name := strings.ToLower(h.Name.String())
	switch h.Type {
	case dnsmessage.TypePTR:
		r, err := p.PTRResource()
		if err != nil {
			return err
		}
		if name == serviceHTTP || name == serviceHTTPS {
			inst := r.PTR.String()
			if !slices.Contains(*ptrs, inst) {
				*ptrs = append(*ptrs, inst)
			}
		}
	case dnsmessage.TypeSRV:
		r, err := p.SRVResource()
		if err != nil {
			return err
		}
		srv[name] = r
	case dnsmessage.TypeTXT:
		r, err := p.TXTResource()
		if err != nil {
			return err
		}
		txt[name] = append(txt[name], r.TXT...)
	case dnsmessage.TypeA:
		r, err := p.AResource()
		if err != nil {
			return err
		}
		addrs[name] = append(addrs[name], netip.AddrFrom4(r.A))
	case dnsmessage.TypeAAAA:
		r, err := p.AAAAResource()
		if err != nil {
			return err
		}
		addrs[name] = append(addrs[name], netip.AddrFrom16(r.AAAA))
	default:
		return p.SkipAnswer()
	}
	return nil
}

// device turns a discovered service into a capture.Device (IPv4 preferred).
func (s service) device() capture.Device {
	addr := s.addrs[0]
	for _, a := range s.addrs {
		if a.Is4() {
			addr = a
			break
		}
	}
	scheme := "http"
	if s.tls {
		scheme = "https"
	}
	rs := strings.Trim(s.txt["rs"], "/")
	if rs == "" {
		rs = "eSCL"
	}
	host := addr.String()
	if addr.Is6() {
		host = "[" + host + "]"
	}
	b := scheme + "://" + host + ":" + strconv.Itoa(int(s.port)) + "/" + rs
	label, _, _ := strings.Cut(s.instance, "._uscan")
	model := s.txt["ty"]
	if model == "" {
		model = label
	}
	return capture.Device{ID: IDPrefix + b, Driver: "escl", Model: model, Label: label + " (eSCL)"}
}

// Discover sends one mDNS query for eSCL scanners and collects answers for
// the given window. It returns ErrDiscoveryUnavailable when the host cannot
// send multicast.
func Discover(ctx context.Context, window time.Duration) ([]capture.Device, error) {
	q, err := buildQuery()
	if err != nil {
		return nil, err
	}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDiscoveryUnavailable, err)
	}
	defer conn.Close()
	if _, err := conn.WriteToUDPAddrPort(q, mdnsGroup); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDiscoveryUnavailable, err)
	}
	deadline := time.Now().Add(window)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	conn.SetReadDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) })
	defer stop()
	var out []capture.Device
	buf := make([]byte, 9000)
	for {
		n, _, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			break // deadline or cancel
		}
		svcs, err := parseResponse(buf[:n])
		if err != nil {
			continue // not ours or malformed: ignore
		}
		for _, s := range svcs {
			dv := s.device()
			if !slices.ContainsFunc(out, func(o capture.Device) bool { return o.ID == dv.ID }) {
				out = append(out, dv)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	return out, nil
}

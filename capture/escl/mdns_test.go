package escl

import (
	"net/netip"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// These tests build and parse packets only; nothing is sent on the network.

func TestBuildQuery(t *testing.T) {
	q, err := buildQuery()
	if err != nil {
		t.Fatal(err)
	}
	var p dnsmessage.Parser
	h, err := p.Start(q)
	if err != nil || h.Response {
		t.Fatalf("header %+v, %v", h, err)
	}
	qs, err := p.AllQuestions()
	if err != nil || len(qs) != 2 {
		t.Fatalf("questions %v, %v", qs, err)
	}
	for i, want := range []string{serviceHTTP, serviceHTTPS} {
		if qs[i].Name.String() != want || qs[i].Type != dnsmessage.TypePTR || qs[i].Class&(1<<15) == 0 {
			t.Errorf("question %d: %v, want PTR %s with the unicast-response bit", i, qs[i], want)
		}
	}
}

// announce builds an mDNS response as a scanner sends it (RFC 6763 DNS-SD):
// PTR in the answers, SRV, TXT and A/AAAA in the additional records.
func announce(t testing.TB, service, instance, host string, port uint16, txt []string, addrs ...netip.Addr) []byte {
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{Response: true, Authoritative: true})
	b.EnableCompression()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	inst := instance + "." + service
	rh := func(name string) dnsmessage.ResourceHeader {
		return dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(name), Class: dnsmessage.ClassINET, TTL: 120}
	}
	must(b.StartAnswers())
	must(b.PTRResource(rh(service), dnsmessage.PTRResource{PTR: dnsmessage.MustNewName(inst)}))
	must(b.StartAdditionals())
	must(b.SRVResource(rh(inst), dnsmessage.SRVResource{Target: dnsmessage.MustNewName(host), Port: port}))
	must(b.TXTResource(rh(inst), dnsmessage.TXTResource{TXT: txt}))
	for _, a := range addrs {
		if a.Is4() {
			must(b.AResource(rh(host), dnsmessage.AResource{A: a.As4()}))
		} else {
			must(b.AAAAResource(rh(host), dnsmessage.AAAAResource{AAAA: a.As16()}))
		}
	}
	msg, err := b.Finish()
	must(err)
	return msg
}

func TestParseResponse(t *testing.T) {
	msg := announce(t, serviceHTTP, "Kyocera ECOSYS M2040dn", "KM7B6A91.local.", 9095,
		[]string{"txtvers=1", "ty=Kyocera ECOSYS M2040dn", "rs=eSCL", "is=platen,adf,duplex"},
		netip.MustParseAddr("2001:db8::7"), netip.MustParseAddr("192.0.2.102"))
	svcs, err := parseResponse(msg)
	if err != nil || len(svcs) != 1 {
		t.Fatalf("services %+v, %v", svcs, err)
	}
	dv := svcs[0].device()
	if dv.ID != "escl:http://192.0.2.102:9095/eSCL" || dv.Model != "Kyocera ECOSYS M2040dn" || dv.Label != "Kyocera ECOSYS M2040dn (eSCL)" {
		t.Errorf("device %+v", dv)
	}

	// _uscans is HTTPS; an IPv6-only host is bracketed; rs defaults to eSCL.
	msg = announce(t, serviceHTTPS, "HP OfficeJet", "hp.local.", 443, []string{"ty=HP OfficeJet Pro 6978"},
		netip.MustParseAddr("2001:db8::9"))
	svcs, err = parseResponse(msg)
	if err != nil || len(svcs) != 1 {
		t.Fatalf("services %+v, %v", svcs, err)
	}
	if got := svcs[0].device().ID; got != "escl:https://[2001:db8::9]:443/eSCL" {
		t.Errorf("ID %s", got)
	}

	// A printer (_ipp) answer is not a scanner.
	msg = announce(t, "_ipp._tcp.local.", "Printer", "p.local.", 631, []string{"rp=ipp/print"}, netip.MustParseAddr("192.0.2.5"))
	if svcs, err := parseResponse(msg); err != nil || len(svcs) != 0 {
		t.Errorf("ipp answer gave %+v, %v", svcs, err)
	}
	// Garbage is an error, not a panic.
	for _, bad := range [][]byte{nil, {1, 2, 3}, msg[:len(msg)/2]} {
		if _, err := parseResponse(bad); err == nil {
			t.Errorf("parseResponse(%d bytes): no error", len(bad))
		}
	}
}

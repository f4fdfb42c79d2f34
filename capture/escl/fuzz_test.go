package escl

import (
	"testing"
)

// The seed corpora under testdata/fuzz/ hold the documents recorded from real
// devices (testdata/recorded) and a constructed mDNS answer.

func FuzzParseCapabilities(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCapabilities(data)
		if err != nil {
			return
		}
		if c.Platen == nil && c.ADFSimplex == nil && c.ADFDuplex == nil {
			t.Fatal("capabilities without a source accepted")
		}
		cc := ToCapabilities(c)
		if len(cc.Sources) == 0 || cc.MaxWidthMM <= 0 {
			t.Fatalf("summary %+v", cc)
		}
		for _, in := range []*InputCaps{c.Platen, c.ADFSimplex, c.ADFDuplex} {
			if in != nil {
				chooseSettings(c, jobFor(in))
			}
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseStatus(data)
		if err == nil && s.State == "" {
			t.Fatal("status without State accepted")
		}
		if err == nil {
			statusKind(s, 0)
		}
	})
}

func FuzzParseMDNS(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		svcs, err := parseResponse(data)
		if err != nil {
			return
		}
		for _, s := range svcs {
			if len(s.addrs) == 0 {
				t.Fatal("service without address")
			}
			if _, err := NewDevice(s.device().ID[len(IDPrefix):]); err != nil {
				t.Fatalf("discovered device has a bad base URL: %v", err)
			}
		}
	})
}

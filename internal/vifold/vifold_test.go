package vifold

import "testing"

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Nơi nhận":               "noi nhan",
		"TỈNH VĨNH LONG":         "tinh vinh long",
		"Đà Nẵng":                "da nang",
		"hoà":                    "hoa",
		"CỘNG HÒA XÃ HỘI":        "cong hoa xa hoi",
		"Nguye\u0302\u0303n Đức": "nguyen duc", // decomposed input
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

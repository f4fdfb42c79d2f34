package app

import (
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestTelexType(t *testing.T) {
	cases := []struct{ keys, want string }{
		{"aa", "â"}, {"aw", "ă"}, {"dd", "đ"}, {"ow", "ơ"}, {"uw", "ư"}, {"ee", "ê"}, {"oo", "ô"},
		{"DD", "Đ"}, {"Dd", "Đ"}, {"AA", "Â"}, {"Aw", "Ă"}, {"UW", "Ư"},
		{"as", "á"}, {"af", "à"}, {"ar", "ả"}, {"ax", "ã"}, {"aj", "ạ"}, {"asz", "a"}, {"asf", "à"},
		{"aaa", "aa"}, {"ass", "as"}, {"ddd", "dd"}, {"aww", "aw"},
		{"Nguyeenx", "Nguyễn"}, {"Nguyeexn", "Nguyễn"}, {"Vawn", "Văn"}, {"Ddwcs", "Đức"}, {"DDinhf", "Đình"},
		{"nguwowfi", "người"}, {"nguoiwf", "người"}, {"truwowngf", "trường"}, {"thuwowngf", "thường"},
		{"hoaf", "hòa"}, {"Thuyr", "Thủy"}, {"muaf", "mùa"}, {"toans", "toán"}, {"hoangf", "hoàng"},
		{"quys", "quý"}, {"gias", "giá"}, {"gif", "gì"}, {"quaxng", "quãng"}, {"khuyeens", "khuyến"},
		{"tuyeets", "tuyết"}, {"ngoaif", "ngoài"}, {"Leex", "Lễ"}, {"Xuaan", "Xuân"}, {"Hooij", "Hội"},
		{"Vieetj Nam", "Việt Nam"}, {"thaanf", "thần"}, {"dongd", "đong"},
		{"Suwr", "Sử"}, {"sowr", "sở"}, {"Bas", "Bá"}, {"Bass", "Bas"},
		{"12/03/1998", "12/03/1998"}, {"KS", "KS"}, {"Kinh", "Kinh"}, {"w", "w"}, {"z", "z"},
		{"Hoaf Bifnh", "Hòa Bình"}, {"Tp. Hoof Chis Minh", "Tp. Hồ Chí Minh"},
	}
	for _, c := range cases {
		got := TelexType(c.keys)
		if got != c.want {
			t.Errorf("TelexType(%q) = %q, want %q", c.keys, got, c.want)
		}
		if !norm.NFC.IsNormalString(got) {
			t.Errorf("TelexType(%q) = %q is not NFC", c.keys, got)
		}
	}
}

// TestTelexKeysRoundTrip: the keys TelexKeys gives for a text type that text back.
func TestTelexKeysRoundTrip(t *testing.T) {
	for _, s := range []string{
		"Nguyễn Thị Phương Thảo", "Trần Văn Đức", "Người đi khai sinh", "Phường Hòa Bình, Thành phố Hà Nội",
		"Xã Tân Lập, Tỉnh Lào Cai", "123/2020/ĐKKS", "ngày 12 tháng 3 năm 1998", "Kinh", "Việt Nam", "Lê Thị Thủy",
		"Giàng A Sử", "Hoàng Quốc Việt", "Khuất Duy Tiến", "Quản lý đất đai", "Bas Ass", "Lý Thị Xuân",
	} {
		keys := TelexKeys(s)
		if got := TelexType(keys); got != norm.NFC.String(s) {
			t.Errorf("TelexType(TelexKeys(%q)) = %q (keys %q)", s, got, keys)
		}
	}
}

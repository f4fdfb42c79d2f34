package docgen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// weighted is a value with a relative frequency.
type weighted struct {
	v string
	w int
}

// Surname frequencies roughly follow published Vietnamese statistics
// (Nguyễn ≈ 38%, Trần ≈ 11%, Lê ≈ 9.5%, ...), in per-mille.
var surnames = []weighted{
	{"Nguyễn", 380}, {"Trần", 110}, {"Lê", 95}, {"Phạm", 70}, {"Hoàng", 51},
	{"Huỳnh", 30}, {"Phan", 45}, {"Vũ", 39}, {"Võ", 30}, {"Đặng", 21},
	{"Bùi", 20}, {"Đỗ", 14}, {"Hồ", 13}, {"Ngô", 13}, {"Dương", 10},
	{"Lý", 5}, {"Đinh", 6}, {"Trương", 6}, {"Lưu", 4}, {"Mai", 4},
}

var maleMiddle = []weighted{
	{"Văn", 40}, {"Đức", 10}, {"Minh", 10}, {"Quang", 7}, {"Hữu", 7}, {"Thanh", 5},
	{"Công", 5}, {"Quốc", 5}, {"Xuân", 4}, {"Anh", 3}, {"Hoàng", 3}, {"Tuấn", 2}, {"Trọng", 3},
}

var femaleMiddle = []weighted{
	{"Thị", 45}, {"Ngọc", 10}, {"Thu", 6}, {"Thanh", 6}, {"Minh", 5}, {"Thùy", 5},
	{"Phương", 4}, {"Kim", 4}, {"Bảo", 3}, {"Mai", 3}, {"Hồng", 4}, {"Khánh", 2},
}

var maleGiven = []string{
	"An", "Bình", "Cường", "Dũng", "Đạt", "Hùng", "Huy", "Khoa", "Long", "Minh",
	"Nam", "Phong", "Quân", "Sơn", "Thắng", "Trung", "Tuấn", "Việt", "Vinh", "Hiếu",
	"Hải", "Hoàng", "Khánh", "Lâm", "Nghĩa", "Phúc", "Quang", "Tài", "Thành", "Toàn",
	"Đông", "Bảo", "Kiên", "Lộc", "Tú", "Hưng", "Thịnh", "Trí", "Duy", "Tùng",
}

var femaleGiven = []string{
	"Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Huyền",
	"Lan", "Linh", "Loan", "Mai", "Ngân", "Ngọc", "Nhung", "Oanh", "Phương", "Quỳnh",
	"Thảo", "Trang", "Trinh", "Uyên", "Vân", "Yến", "Nga", "Thủy", "My", "Vy",
	"Hiền", "Nhàn", "Tâm", "Thư", "Diệp", "Ly", "Thoa", "Xuân", "Hồng", "Liên",
}

var secondMiddle = []string{"Minh", "Thanh", "Ngọc", "Hoài", "Bảo", "Gia", "Thiên", "Khánh", "Phương", "Quốc"}

var ethnicities = []weighted{
	{"Kinh", 86}, {"Tày", 3}, {"Thái", 3}, {"Mường", 3}, {"Khmer", 2}, {"Nùng", 2}, {"Hoa", 1},
}

// province is a post-2025 province-level unit with its CCCD code.
type province struct {
	name   string   // short name, e.g. "Hà Nội"
	city   bool     // "Thành phố" rather than "Tỉnh"
	code   string   // 3-digit code used in personal ID numbers
	places []string // communes and wards, with their "Phường"/"Xã" prefix
}

func (p province) fullName() string {
	if p.city {
		return "Thành phố " + p.name
	}
	return "Tỉnh " + p.name
}

var provinces = []province{
	{"Hà Nội", true, "001", []string{"Phường Hoàn Kiếm", "Phường Ba Đình", "Phường Cầu Giấy", "Phường Hà Đông", "Xã Sóc Sơn", "Xã Đông Anh", "Phường Long Biên", "Xã Thanh Trì"}},
	{"Hồ Chí Minh", true, "079", []string{"Phường Sài Gòn", "Phường Bến Thành", "Phường Tân Định", "Phường Thủ Đức", "Xã Củ Chi", "Phường Bình Thạnh", "Phường Gia Định", "Xã Nhà Bè"}},
	{"Đà Nẵng", true, "048", []string{"Phường Hải Châu", "Phường Sơn Trà", "Phường Hội An", "Xã Hòa Vang", "Phường Thanh Khê", "Phường Ngũ Hành Sơn"}},
	{"Huế", true, "046", []string{"Phường Thuận Hóa", "Phường Phú Xuân", "Phường Hương Thủy", "Xã Phú Vang", "Phường Kim Long"}},
	{"Hải Phòng", true, "031", []string{"Phường Hồng Bàng", "Phường Lê Chân", "Phường Hải Dương", "Xã An Lão", "Phường Ngô Quyền"}},
	{"Cần Thơ", true, "092", []string{"Phường Ninh Kiều", "Phường Cái Răng", "Phường Sóc Trăng", "Xã Phong Điền", "Phường Bình Thủy"}},
	{"Lào Cai", false, "010", []string{"Phường Lào Cai", "Phường Yên Bái", "Phường Sa Pa", "Xã Bảo Thắng", "Xã Văn Bàn"}},
	{"Tuyên Quang", false, "008", []string{"Phường Minh Xuân", "Phường Hà Giang", "Xã Yên Sơn", "Xã Hàm Yên", "Xã Chiêm Hóa"}},
	{"Thái Nguyên", false, "019", []string{"Phường Phan Đình Phùng", "Phường Bắc Kạn", "Xã Đại Từ", "Xã Phú Bình"}},
	{"Phú Thọ", false, "025", []string{"Phường Việt Trì", "Phường Vĩnh Yên", "Phường Hòa Bình", "Xã Lâm Thao"}},
	{"Bắc Ninh", false, "027", []string{"Phường Kinh Bắc", "Phường Bắc Giang", "Xã Tiên Du", "Phường Từ Sơn"}},
	{"Quảng Ninh", false, "022", []string{"Phường Hạ Long", "Phường Cẩm Phả", "Phường Móng Cái", "Xã Vân Đồn"}},
	{"Ninh Bình", false, "037", []string{"Phường Hoa Lư", "Phường Nam Định", "Phường Phủ Lý", "Xã Kim Sơn"}},
	{"Thanh Hóa", false, "038", []string{"Phường Hạc Thành", "Phường Sầm Sơn", "Xã Hoằng Hóa", "Xã Thọ Xuân"}},
	{"Nghệ An", false, "040", []string{"Phường Thành Vinh", "Phường Cửa Lò", "Xã Diễn Châu", "Xã Nghi Lộc"}},
	{"Gia Lai", false, "064", []string{"Phường Pleiku", "Phường Quy Nhơn", "Xã An Khê", "Xã Tây Sơn"}},
	{"Lâm Đồng", false, "068", []string{"Phường Xuân Hương", "Phường Bảo Lộc", "Phường Phan Thiết", "Xã Đức Trọng"}},
	{"Đồng Nai", false, "075", []string{"Phường Trấn Biên", "Phường Biên Hòa", "Xã Long Thành", "Phường Đồng Xoài"}},
	{"Vĩnh Long", false, "086", []string{"Phường Long Châu", "Phường Bến Tre", "Phường Trà Vinh", "Xã Tam Bình"}},
	{"An Giang", false, "089", []string{"Phường Long Xuyên", "Phường Rạch Giá", "Phường Châu Đốc", "Xã Phú Tân"}},
}

var streets = []string{
	"Trần Hưng Đạo", "Lê Lợi", "Nguyễn Trãi", "Hai Bà Trưng", "Lý Thường Kiệt", "Quang Trung",
	"Phan Chu Trinh", "Nguyễn Du", "Bà Triệu", "Lê Duẩn", "Hùng Vương", "Điện Biên Phủ",
	"Nguyễn Huệ", "Lê Thánh Tông", "Hoàng Diệu", "Phạm Ngũ Lão",
}

var villages = []string{"Thôn Đông", "Thôn Trung", "Thôn Hạ", "Thôn Bắc", "Xóm Mới", "Ấp Tân Hòa", "Thôn An Phú", "Thôn Phú Lộc"}

var hospitals = []string{"Bệnh viện Đa khoa", "Bệnh viện Phụ sản", "Trung tâm Y tế", "Trạm Y tế"}

var businessLines = []string{
	"Bán lẻ hàng tạp hóa", "Dịch vụ ăn uống", "Sửa chữa xe máy", "Bán lẻ quần áo, giày dép",
	"Cắt tóc, gội đầu", "Bán lẻ điện thoại di động", "Kinh doanh cà phê, giải khát",
	"Sản xuất đồ gỗ dân dụng", "Bán lẻ văn phòng phẩm", "Dịch vụ in ấn, photocopy",
}

var shopWords = []string{"CỬA HÀNG TẠP HÓA", "QUÁN CƠM", "TIỆM SỬA XE", "CỬA HÀNG THỜI TRANG", "TIỆM TÓC", "CỬA HÀNG ĐIỆN THOẠI", "QUÁN CÀ PHÊ", "XƯỞNG MỘC", "NHÀ SÁCH", "TIỆM PHOTO"}

var relations = []string{"Vợ", "Chồng", "Con", "Con", "Con", "Mẹ", "Bố", "Cháu", "Em"}

func pickW(r *rand.Rand, ws []weighted) string {
	total := 0
	for _, w := range ws {
		total += w.w
	}
	n := r.IntN(total)
	for _, w := range ws {
		if n < w.w {
			return w.v
		}
		n -= w.w
	}
	return ws[len(ws)-1].v
}

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

// person is one synthetic citizen.
type person struct {
	name      string // "Nguyễn Văn An"
	male      bool
	birth     time.Time
	ethnicity string
	id        string // 12-digit CCCD number
	prov      province
	address   string // residence
}

func (p person) upper() string { return strings.ToUpper(p.name) }

func (p person) gender() string {
	if p.male {
		return "Nam"
	}
	return "Nữ"
}

func randomName(r *rand.Rand, male bool, surname string) string {
	if surname == "" {
		surname = pickW(r, surnames)
	}
	parts := []string{surname}
	if male {
		parts = append(parts, pickW(r, maleMiddle))
	} else {
		parts = append(parts, pickW(r, femaleMiddle))
	}
	if r.IntN(5) == 0 {
		parts = append(parts, pick(r, secondMiddle))
	}
	if male {
		parts = append(parts, pick(r, maleGiven))
	} else {
		parts = append(parts, pick(r, femaleGiven))
	}
	return strings.Join(parts, " ")
}

// personalID builds a CCCD number: province code, century/gender digit
// (0/1 male/female born 1900-1999, 2/3 born 2000-2099), the last two digits
// of the birth year and six random digits.
func personalID(r *rand.Rand, prov province, male bool, birth time.Time) string {
	g := 0
	if birth.Year() >= 2000 {
		g = 2
	}
	if !male {
		g++
	}
	return fmt.Sprintf("%s%d%02d%06d", prov.code, g, birth.Year()%100, r.IntN(1000000))
}

func randomDate(r *rand.Rand, fromYear, toYear int) time.Time {
	if toYear < fromYear {
		fromYear = toYear
	}
	y := fromYear + r.IntN(toYear-fromYear+1)
	d := time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, r.IntN(365))
}

func randomAddress(r *rand.Rand, prov province) string {
	return randomAddressIn(r, prov, pick(r, prov.places))
}

func randomAddressIn(r *rand.Rand, prov province, place string) string {
	var first string
	if strings.HasPrefix(place, "Xã") {
		first = pick(r, villages)
	} else {
		first = fmt.Sprintf("Số %d, đường %s", 1+r.IntN(199), pick(r, streets))
	}
	return first + ", " + place + ", " + prov.fullName()
}

func randomPerson(r *rand.Rand, male bool, fromYear, toYear int, surname string) person {
	prov := provinces[r.IntN(len(provinces))]
	birth := randomDate(r, fromYear, toYear)
	p := person{
		name:      randomName(r, male, surname),
		male:      male,
		birth:     birth,
		ethnicity: pickW(r, ethnicities),
		prov:      prov,
	}
	p.id = personalID(r, prov, male, birth)
	p.address = randomAddress(r, prov)
	return p
}

func dmy(t time.Time) string { return t.Format("02/01/2006") }

// longDate is the administrative form "ngày 5 tháng 6 năm 2024"; days and
// months below 10 are often zero-padded in practice for days 1-2 and months
// 1-2 ("ngày 05 tháng 02"), which we mimic.
func longDate(t time.Time) string {
	d := fmt.Sprint(t.Day())
	if t.Day() < 3 {
		d = fmt.Sprintf("%02d", t.Day())
	}
	m := fmt.Sprint(int(t.Month()))
	if t.Month() < 3 {
		m = fmt.Sprintf("%02d", int(t.Month()))
	}
	return "ngày " + d + " tháng " + m + " năm " + fmt.Sprint(t.Year())
}

// placeShort drops the "Phường "/"Xã " prefix for the place-and-date line.
func placeShort(place string) string {
	for _, p := range []string{"Phường ", "Xã "} {
		if strings.HasPrefix(place, p) {
			return strings.TrimPrefix(place, p)
		}
	}
	return place
}

package docgen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Types lists the supported record types.
var Types = []string{"birth", "marriage", "household", "business"}

var typeNames = map[string]string{
	"birth":     "GIẤY KHAI SINH",
	"marriage":  "GIẤY CHỨNG NHẬN KẾT HÔN",
	"household": "XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ",
	"business":  "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH",
}

// agency is the issuing commune-level authority.
type agency struct {
	prov  province
	place string // "Phường Hoàn Kiếm"
}

func randomAgency(r *rand.Rand) agency {
	p := provinces[r.IntN(len(provinces))]
	return agency{prov: p, place: pick(r, p.places)}
}

func (a agency) ubnd() string { return "Ủy ban nhân dân " + a.place + ", " + a.prov.fullName() }

func upper(s string) string { return strings.ToUpper(s) }

// issueDate is a date between 2015 and 2025.
func issueDate(r *rand.Rand) time.Time { return randomDate(r, 2015, 2025) }

// ubndSigner returns the signer roles of a commune People's Committee.
func ubndSigner(r *rand.Rand) []string {
	if r.IntN(2) == 0 {
		return []string{"TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"}
	}
	return []string{"KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"}
}

// layoutDoc builds the pages of one document of type typ.
func layoutDoc(r *rand.Rand, typ string, f *faces, dpi int) ([]*pageBuilder, error) {
	switch typ {
	case "birth":
		return []*pageBuilder{layoutBirth(r, f, dpi)}, nil
	case "marriage":
		p, err := layoutMarriage(r, f, dpi)
		return []*pageBuilder{p}, err
	case "household":
		return layoutHousehold(r, f, dpi)
	case "business":
		return layoutBusiness(r, f, dpi)
	}
	return nil, fmt.Errorf("docgen: unknown document type %q", typ)
}

func layoutBirth(r *rand.Rand, f *faces, dpi int) *pageBuilder {
	ag := randomAgency(r)
	male := r.IntN(2) == 0
	child := randomPerson(r, male, 1950, 2024, "")
	fatherSurname := strings.Fields(child.name)[0]
	father := randomPerson(r, true, child.birth.Year()-42, child.birth.Year()-20, fatherSurname)
	mother := randomPerson(r, false, child.birth.Year()-40, child.birth.Year()-19, "")
	mother.address = father.address
	reg := child.birth.AddDate(0, 0, 3+r.IntN(55))
	if r.IntN(4) == 0 { // a re-issued register extract
		reg = issueDate(r)
		if reg.Before(child.birth) {
			reg = child.birth.AddDate(0, 0, 20)
		}
	}
	number := fmt.Sprintf("%d/%d/KS", 1+r.IntN(900), reg.Year())
	b := newPageBuilder(dpi, f)
	b.header("ỦY BAN NHÂN DÂN", upper(ag.place), number)
	b.title(typeNames["birth"])
	x := b.left
	bf := f.body
	b.field(x, "full_name", "Họ, chữ đệm, tên", child.upper(), bf)
	b.field(x, "date_of_birth", "Ngày, tháng, năm sinh", dmy(child.birth), bf)
	b.multiField(x, bf, kv{"gender", "Giới tính", child.gender()}, kv{"ethnicity", "Dân tộc", child.ethnicity}, kv{"nationality", "Quốc tịch", "Việt Nam"})
	b.field(x, "place_of_birth", "Nơi sinh", pick(r, hospitals)+" "+child.prov.name+", "+child.prov.fullName(), bf)
	hometown := provinces[r.IntN(len(provinces))]
	b.field(x, "hometown", "Quê quán", pick(r, hometown.places)+", "+hometown.fullName(), bf)
	b.field(x, "personal_id", "Số định danh cá nhân", child.id, bf)
	b.y += b.mm(2)
	b.field(x, "mother_full_name", "Họ, chữ đệm, tên người mẹ", mother.upper(), bf)
	b.multiField(x, bf, kv{"mother_birth_year", "Năm sinh", fmt.Sprint(mother.birth.Year())}, kv{"mother_ethnicity", "Dân tộc", mother.ethnicity}, kv{"mother_nationality", "Quốc tịch", "Việt Nam"})
	b.field(x, "mother_residence", "Nơi cư trú", mother.address, bf)
	b.y += b.mm(2)
	b.field(x, "father_full_name", "Họ, chữ đệm, tên người cha", father.upper(), bf)
	b.multiField(x, bf, kv{"father_birth_year", "Năm sinh", fmt.Sprint(father.birth.Year())}, kv{"father_ethnicity", "Dân tộc", father.ethnicity}, kv{"father_nationality", "Quốc tịch", "Việt Nam"})
	b.field(x, "father_residence", "Nơi cư trú", father.address, bf)
	b.y += b.mm(2)
	declarant := mother
	if r.IntN(2) == 0 {
		declarant = father
	}
	b.field(x, "declarant_name", "Người đi khai sinh", declarant.upper(), bf)
	b.field(x, "registration_place", "Nơi đăng ký khai sinh", ag.ubnd(), bf)
	b.field(x, "registration_date", "Ngày, tháng, năm đăng ký", dmy(reg), bf)
	b.y += b.mm(4)
	b.signer(r, placeShort(ag.place), longDate(reg), ubndSigner(r), randomName(r, r.IntN(2) == 0, ""), upper("Ủy ban nhân dân "+placeShort(ag.place)))
	return b
}

func layoutMarriage(r *rand.Rand, f *faces, dpi int) (*pageBuilder, error) {
	ag := randomAgency(r)
	h := randomPerson(r, true, 1960, 2002, "")
	w := randomPerson(r, false, 1962, 2004, "")
	reg := issueDate(r)
	if min := h.birth.AddDate(20, 0, 0); reg.Before(min) {
		reg = min.AddDate(0, 2, 0)
	}
	if min := w.birth.AddDate(18, 0, 0); reg.Before(min) {
		reg = min.AddDate(0, 2, 0)
	}
	number := fmt.Sprintf("%d/%d/KH", 1+r.IntN(300), reg.Year())
	b := newPageBuilder(dpi, f)
	b.header("ỦY BAN NHÂN DÂN", upper(ag.place), number)
	b.title(typeNames["marriage"])
	rows := [][]string{
		{"Họ, chữ đệm, tên", h.upper(), w.upper()},
		{"Ngày, tháng, năm sinh", dmy(h.birth), dmy(w.birth)},
		{"Dân tộc", h.ethnicity, w.ethnicity},
		{"Quốc tịch", "Việt Nam", "Việt Nam"},
		{"Số định danh cá nhân", h.id, w.id},
	}
	keys := [][]string{
		{"", "husband_full_name", "wife_full_name"},
		{"", "husband_date_of_birth", "wife_date_of_birth"},
		{"", "husband_ethnicity", "wife_ethnicity"},
		{"", "husband_nationality", "wife_nationality"},
		{"", "husband_personal_id", "wife_personal_id"},
	}
	labels := []string{"", "Chồng", "Vợ"}
	if err := b.table([]string{"Thông tin", "Chồng", "Vợ"}, rows, keys, labels); err != nil {
		return nil, err
	}
	// Give table fields their row label.
	for i := range b.fields {
		fl := &b.fields[i]
		for ri, row := range keys {
			for ci, k := range row {
				if k != "" && fl.Key == k {
					fl.Label = rows[ri][0] + " (" + labels[ci] + ")"
				}
			}
		}
	}
	x := b.left
	bf := f.body
	b.field(x, "husband_residence", "Nơi cư trú của chồng", h.address, bf)
	b.field(x, "wife_residence", "Nơi cư trú của vợ", w.address, bf)
	b.field(x, "registration_place", "Nơi đăng ký kết hôn", ag.ubnd(), bf)
	b.field(x, "registration_date", "Ngày, tháng, năm đăng ký", dmy(reg), bf)
	b.y += b.mm(4)
	b.signer(r, placeShort(ag.place), longDate(reg), ubndSigner(r), randomName(r, r.IntN(2) == 0, ""), upper("Ủy ban nhân dân "+placeShort(ag.place)))
	return b, nil
}

// member is one row of a household member table.
type member struct {
	p        person
	relation string
}

func household(r *rand.Rand, n int) []member {
	head := randomPerson(r, r.IntN(3) > 0, 1945, 1990, "")
	surname := strings.Fields(head.name)[0]
	ms := []member{{head, "Chủ hộ"}}
	used := map[string]bool{}
	for len(ms) < n {
		rel := relations[r.IntN(len(relations))]
		if rel == "Vợ" || rel == "Chồng" {
			rel = map[bool]string{true: "Chồng", false: "Vợ"}[!head.male]
		}
		if used[rel] && rel != "Con" && rel != "Cháu" && rel != "Em" {
			rel = "Con"
		}
		used[rel] = true
		var p person
		switch rel {
		case "Vợ", "Chồng":
			male := rel == "Chồng"
			if male == head.male {
				rel = map[bool]string{true: "Chồng", false: "Vợ"}[!head.male]
			}
			p = randomPerson(r, !head.male, head.birth.Year()-5, head.birth.Year()+5, "")
		case "Mẹ", "Bố":
			p = randomPerson(r, rel == "Bố", head.birth.Year()-40, head.birth.Year()-20, "")
			if rel == "Bố" {
				p = randomPerson(r, true, head.birth.Year()-40, head.birth.Year()-20, surname)
			}
		case "Cháu":
			p = randomPerson(r, r.IntN(2) == 0, head.birth.Year()+40, min(head.birth.Year()+60, 2024), surname)
		default:
			p = randomPerson(r, r.IntN(2) == 0, head.birth.Year()+18, min(head.birth.Year()+40, 2024), surname)
		}
		ms = append(ms, member{p, rel})
	}
	return ms
}

func memberTable(b *pageBuilder, ms []member, first int, withRelation bool) error {
	header := []string{"STT", "Họ, chữ đệm, tên", "Ngày sinh", "Giới tính", "Số định danh"}
	labels := []string{"STT", "Họ, chữ đệm, tên", "Ngày sinh", "Giới tính", "Số định danh"}
	if withRelation {
		header = append(header, "Quan hệ")
		labels = append(labels, "Quan hệ với chủ hộ")
	}
	var rows, keys [][]string
	for i, m := range ms {
		n := first + i
		row := []string{fmt.Sprint(n), m.p.name, dmy(m.p.birth), m.p.gender(), m.p.id}
		k := []string{"", fmt.Sprintf("member_%d_full_name", n), fmt.Sprintf("member_%d_date_of_birth", n), fmt.Sprintf("member_%d_gender", n), fmt.Sprintf("member_%d_personal_id", n)}
		if withRelation {
			row = append(row, m.relation)
			k = append(k, fmt.Sprintf("member_%d_relation", n))
		}
		rows = append(rows, row)
		keys = append(keys, k)
	}
	return b.table(header, rows, keys, labels)
}

func layoutHousehold(r *rand.Rand, f *faces, dpi int) ([]*pageBuilder, error) {
	ag := randomAgency(r)
	twoPages := r.IntN(2) == 0
	n := 2 + r.IntN(4)
	if twoPages {
		n = 9 + r.IntN(5)
	}
	ms := household(r, n)
	// The household lives where the certifying police station is.
	ms[0].p.address = randomAddressIn(r, ag.prov, ag.place)
	subject := ms[r.IntN(len(ms))]
	for subject.p.birth.Year() > 2010 { // the applicant is an adult
		subject = ms[0]
	}
	date := issueDate(r)
	number := fmt.Sprintf("%d/%d/XNCT", 1+r.IntN(5000), date.Year())
	b := newPageBuilder(dpi, f)
	b.header("CÔNG AN "+upper(ag.prov.fullName()), "CÔNG AN "+upper(ag.place), number)
	b.title(typeNames["household"])
	x := b.left
	bf := f.body
	b.text(x, "Công an "+ag.place+" xác nhận thông tin về cư trú của công dân như sau:", bf)
	b.field(x, "full_name", "Họ, chữ đệm, tên", subject.p.upper(), bf)
	b.multiField(x, bf, kv{"date_of_birth", "Ngày, tháng, năm sinh", dmy(subject.p.birth)}, kv{"gender", "Giới tính", subject.p.gender()})
	b.field(x, "personal_id", "Số định danh cá nhân", subject.p.id, bf)
	b.field(x, "permanent_residence", "Nơi thường trú", ms[0].p.address, bf)
	b.field(x, "household_head", "Họ, chữ đệm, tên chủ hộ", ms[0].p.upper(), bf)
	b.field(x, "relation_to_head", "Quan hệ với chủ hộ", subject.relation, bf)
	b.y += b.mm(2)
	b.text(x, "Thông tin các thành viên trong hộ gia đình:", bf)
	first := ms
	var rest []member
	if twoPages {
		first, rest = ms[:8], ms[8:]
	}
	if err := memberTable(b, first, 1, true); err != nil {
		return nil, err
	}
	pages := []*pageBuilder{b}
	if twoPages {
		b.text(x, "(Danh sách tiếp theo ở trang sau)", bf)
		b = newPageBuilder(dpi, f)
		b.text(b.left, "Thông tin các thành viên trong hộ gia đình (tiếp theo):", bf)
		if err := memberTable(b, rest, 9, true); err != nil {
			return nil, err
		}
		pages = append(pages, b)
	}
	b.text(b.left, "Giấy xác nhận có giá trị 30 ngày kể từ ngày ký.", bf)
	roles := []string{"TRƯỞNG CÔNG AN"}
	if r.IntN(2) == 0 {
		roles = []string{"KT. TRƯỞNG CÔNG AN", "PHÓ TRƯỞNG CÔNG AN"}
	}
	b.signer(r, placeShort(ag.place), longDate(date), roles, randomName(r, r.IntN(4) > 0, ""), upper("Công an "+placeShort(ag.place)))
	return pages, nil
}

func layoutBusiness(r *rand.Rand, f *faces, dpi int) ([]*pageBuilder, error) {
	ag := randomAgency(r)
	twoPages := r.IntN(10) < 3
	owner := randomPerson(r, r.IntN(2) == 0, 1955, 2003, "")
	first := randomDate(r, max(owner.birth.Year()+18, 2010), 2025)
	date := first
	changed := r.IntN(3) == 0
	if changed {
		date = first.AddDate(1+r.IntN(3), r.IntN(12), 0)
	}
	number := fmt.Sprintf("%d/%d/ĐKHKD", 1+r.IntN(2000), date.Year())
	code := fmt.Sprintf("%s%07d", owner.prov.code, r.IntN(10000000))
	b := newPageBuilder(dpi, f)
	b.header("ỦY BAN NHÂN DÂN", upper(ag.place), number)
	b.title(typeNames["business"])
	x := b.left
	bf := f.body
	b.field(x, "business_code", "Mã số hộ kinh doanh", code, bf)
	b.field(x, "first_registration_date", "Đăng ký lần đầu", longDate(first), bf)
	if changed {
		b.field(x, "change_registration_date", "Đăng ký thay đổi lần thứ "+fmt.Sprint(1+r.IntN(3)), longDate(date), bf)
	}
	shop := pick(r, shopWords) + " " + upper(strings.Join(strings.Fields(randomName(r, r.IntN(2) == 0, ""))[2:], " "))
	b.fieldPrefixed(x, "1. ", "business_name", "Tên hộ kinh doanh", shop, bf)
	b.fieldPrefixed(x, "2. ", "business_address", "Địa điểm kinh doanh", randomAddress(r, ag.prov), bf)
	b.field(x, "phone", "Điện thoại", fmt.Sprintf("09%08d", r.IntN(100000000)), bf)
	b.fieldPrefixed(x, "3. ", "business_line", "Ngành, nghề kinh doanh", pick(r, businessLines), bf)
	capital := (5 + r.IntN(500)) * 10
	b.fieldPrefixed(x, "4. ", "capital", "Vốn kinh doanh", groupThousands(capital*1000000)+" đồng", bf)
	b.text(x, "5. Thông tin về chủ hộ kinh doanh:", bf)
	b.field(x, "owner_full_name", "Họ, chữ đệm, tên", owner.upper(), bf)
	b.multiField(x, bf, kv{"owner_gender", "Giới tính", owner.gender()}, kv{"owner_date_of_birth", "Sinh ngày", dmy(owner.birth)}, kv{"owner_ethnicity", "Dân tộc", owner.ethnicity})
	b.field(x, "owner_personal_id", "Số định danh cá nhân", owner.id, bf)
	b.field(x, "owner_residence", "Nơi cư trú", owner.address, bf)
	pages := []*pageBuilder{b}
	if twoPages {
		b = newPageBuilder(dpi, f)
		b.text(b.left, "6. Danh sách thành viên hộ gia đình đăng ký hộ kinh doanh:", bf)
		ms := household(r, 3+r.IntN(6))
		ms[0].p = owner
		if err := memberTable(b, ms, 1, false); err != nil {
			return nil, err
		}
		pages = append(pages, b)
	}
	b.y += b.mm(4)
	b.signer(r, placeShort(ag.place), longDate(date), ubndSigner(r), randomName(r, r.IntN(2) == 0, ""), upper("Ủy ban nhân dân "+placeShort(ag.place)))
	return pages, nil
}

// groupThousands formats 200000000 as "200.000.000".
func groupThousands(n int) string {
	s := fmt.Sprint(n)
	var out []string
	for len(s) > 3 {
		out = append([]string{s[len(s)-3:]}, out...)
		s = s[:len(s)-3]
	}
	return strings.Join(append([]string{s}, out...), ".")
}

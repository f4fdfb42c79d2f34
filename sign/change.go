package sign

import (
	"fmt"
	"strings"
)

// Change is one difference between a signature's signed revision and the file as a viewer
// shows it, or one structural anomaly of the bytes added after signing. Its texts name
// objects, pages and byte offsets, never a field value.
type Change struct {
	Sig    int    // the signature after which it happened (1-based, in signing order)
	Object int    // the object concerned (0: none, e.g. bytes that are not an update)
	What   string // one of the What* kinds
	Page   int    // 1-based page the object belongs to (0: none)
	Key    string // the dictionary entry concerned, e.g. "/OpenAction" ("": the object)
	Action string // "changed", "added" or "removed"
	Offset int64  // byte offset in the file, for structural anomalies
	Detail string // technical detail in English (structural anomalies)
	// Role: for structural anomalies (What == WhatFile), what Object is in the signed
	// revision (a What kind, with Page), when it is there.
	Role string
	// Allowed is set for changes ISO 32000-2 allows after this signature (a later signature,
	// validation data, metadata, form filling where the signature's permissions allow it).
	Allowed bool
}

// Kinds of changed objects (What).
const (
	WhatCatalog     = "catalog"
	WhatInfo        = "document information"
	WhatMetadata    = "metadata"
	WhatEncryption  = "encryption"
	WhatPageTree    = "page tree"
	WhatPages       = "pages"
	WhatPage        = "page"
	WhatContent     = "page content"
	WhatResources   = "resources"
	WhatFont        = "font"
	WhatXObject     = "XObject"
	WhatAnnotation  = "annotation"
	WhatFormField   = "form field"
	WhatForm        = "form"
	WhatSignature   = "signature"
	WhatAction      = "action"
	WhatJavaScript  = "JavaScript"
	WhatNames       = "name tree"
	WhatAttachment  = "attachment"
	WhatDSS         = "validation data (DSS)"
	WhatOutline     = "outline"
	WhatStructure   = "structure tree"
	WhatPermissions = "permissions"
	WhatOther       = "document data"
	WhatFile        = "file structure"
)

var whatVI = map[string]string{
	WhatCatalog:     "danh mục tài liệu",
	WhatInfo:        "thông tin tài liệu",
	WhatMetadata:    "siêu dữ liệu",
	WhatEncryption:  "mã hoá",
	WhatPageTree:    "cây trang",
	WhatPages:       "các trang",
	WhatPage:        "trang",
	WhatContent:     "nội dung trang",
	WhatResources:   "tài nguyên trang",
	WhatFont:        "phông chữ",
	WhatXObject:     "đối tượng hình (XObject)",
	WhatAnnotation:  "chú thích",
	WhatFormField:   "trường biểu mẫu",
	WhatForm:        "biểu mẫu",
	WhatSignature:   "chữ ký",
	WhatAction:      "hành động",
	WhatJavaScript:  "JavaScript",
	WhatNames:       "cây tên",
	WhatAttachment:  "tệp đính kèm",
	WhatDSS:         "dữ liệu kiểm tra (DSS)",
	WhatOutline:     "mục lục",
	WhatStructure:   "cây cấu trúc",
	WhatPermissions: "quyền hạn",
	WhatOther:       "dữ liệu tài liệu",
	WhatFile:        "cấu trúc tệp",
}

var actionVI = map[string]string{"changed": "bị thay đổi", "added": "được thêm", "removed": "bị xoá"}

// structural anomalies: Detail holds one of these, possibly followed by ": " and more.
const (
	detailUnreadable = "the revision cannot be read through its cross-reference chain"
	detailHidden     = "an object that no cross-reference section lists (hidden object)"
	detailKeyword    = "a PDF keyword inside a string, comment or stream"
	detailNotUpdate  = "bytes that are not part of a well-formed incremental update"
	detailInside     = "a cross-reference entry that points inside other data"
	detailTwice      = "an object defined twice in one update"
	detailBack       = "a cross-reference entry that points back into the signed part at another definition"
	detailSection    = "a cross-reference section that is not where an update's section can be"
	detailComplex    = "a document too large or too deep to compare"
)

var detailVI = map[string]string{
	detailUnreadable: "không đọc được phiên bản tệp qua bảng tham chiếu chéo",
	detailHidden:     "một đối tượng không được bảng tham chiếu chéo nào liệt kê (đối tượng ẩn)",
	detailKeyword:    "một từ khoá PDF nằm trong chuỗi, chú thích hoặc luồng dữ liệu",
	detailNotUpdate:  "các byte không thuộc một bản cập nhật tăng dần hợp lệ",
	detailInside:     "một mục tham chiếu chéo trỏ vào giữa dữ liệu khác",
	detailTwice:      "một đối tượng được định nghĩa hai lần trong cùng một bản cập nhật",
	detailBack:       "một mục tham chiếu chéo trỏ ngược vào phần đã ký, tới một định nghĩa khác",
	detailSection:    "một bảng tham chiếu chéo nằm ở chỗ không thể là của một bản cập nhật",
	detailComplex:    "tài liệu quá lớn hoặc quá sâu để so sánh",
}

// describe names a kind of object, on a page when page > 0: "page 1", "page 1 content",
// "font, page 1".
func describe(what string, page int, en bool) string {
	w := what
	if !en {
		if v, ok := whatVI[what]; ok {
			w = v
		}
	}
	if page <= 0 {
		return w
	}
	switch {
	case what == WhatPage || what == WhatContent && !en:
		return fmt.Sprintf("%s %d", w, page)
	case what == WhatContent:
		return fmt.Sprintf("page %d content", page)
	case en:
		return fmt.Sprintf("%s, page %d", w, page)
	}
	return fmt.Sprintf("%s, trang %d", w, page)
}

// Details of object changes, in Vietnamese.
var objectDetailVI = map[string]string{
	"trailer":             "trong phần trailer",
	"cannot be read":      "không đọc được",
	"another page tree":   "một cây trang khác",
	"pages reordered":     "thứ tự trang bị đổi",
	"form removed":        "biểu mẫu bị xoá",
	"form fields removed": "trường biểu mẫu bị xoá",
	"a form field other than a signature added": "một trường biểu mẫu không phải chữ ký được thêm",
	"/NeedAppearances changed":                  "/NeedAppearances bị thay đổi",
	"form default fonts changed":                "phông chữ mặc định của biểu mẫu bị thay đổi",
	"a signature field":                         "một trường chữ ký",
	"a signature widget":                        "một ô chữ ký",
	"form filled in":                            "điền biểu mẫu",
	"locked by a signature":                     "bị một chữ ký khoá",
	"an existing signature was replaced":        "một chữ ký đã có bị thay thế",
	"a signed signature field was changed":      "một trường chữ ký đã ký bị sửa",
	"an empty signature field was signed":       "một trường chữ ký trống được ký",
}

func detailText(d string) string {
	if vi, ok := objectDetailVI[d]; ok {
		return vi
	}
	var n int
	if _, err := fmt.Sscanf(d, "fills a reference of unchanged object %d", &n); err == nil {
		return fmt.Sprintf("lấp một tham chiếu của đối tượng %d không đổi", n)
	}
	if _, err := fmt.Sscanf(d, "empties a reference of unchanged object %d", &n); err == nil {
		return fmt.Sprintf("làm rỗng một tham chiếu của đối tượng %d không đổi", n)
	}
	return d
}

// String is the English text (as in SignatureResult.Changes).
func (c Change) String() string { return c.Text("en") }

// Text renders the change in English ("en") or Vietnamese (anything else).
func (c Change) Text(lang string) string {
	en := lang == "en"
	var b strings.Builder
	if c.What == WhatFile {
		d, more, _ := strings.Cut(c.Detail, ": ")
		if en {
			fmt.Fprintf(&b, "%s", d)
		} else if vi, ok := detailVI[d]; ok {
			b.WriteString(vi)
		} else {
			b.WriteString(d)
		}
		if c.Object > 0 {
			if en {
				fmt.Fprintf(&b, " (object %d", c.Object)
			} else {
				fmt.Fprintf(&b, " (đối tượng %d", c.Object)
			}
			if c.Role != "" {
				fmt.Fprintf(&b, " (%s)", describe(c.Role, c.Page, en))
			}
			if c.Offset > 0 {
				if en {
					fmt.Fprintf(&b, ", byte %d", c.Offset)
				} else {
					fmt.Fprintf(&b, ", byte %d", c.Offset)
				}
			}
			b.WriteString(")")
		} else if c.Offset > 0 {
			fmt.Fprintf(&b, " (byte %d)", c.Offset)
		}
		if more != "" {
			fmt.Fprintf(&b, ": %s", more)
		}
		if c.Sig > 0 {
			if en {
				fmt.Fprintf(&b, ", after signature %d", c.Sig)
			} else {
				fmt.Fprintf(&b, ", sau chữ ký %d", c.Sig)
			}
		}
		return b.String()
	}
	what := describe(c.What, c.Page, en)
	action := c.Action
	if action == "" {
		action = "changed"
	}
	if !en {
		action = actionVI[action]
	}
	if c.Object > 0 {
		if en {
			fmt.Fprintf(&b, "object %d (%s)", c.Object, what)
		} else {
			fmt.Fprintf(&b, "đối tượng %d (%s)", c.Object, what)
		}
	} else {
		b.WriteString(what)
	}
	if c.Key != "" {
		fmt.Fprintf(&b, ": %s", c.Key)
	}
	fmt.Fprintf(&b, " %s", action)
	if c.Detail != "" {
		detail := c.Detail
		if !en {
			detail = detailText(detail)
		}
		fmt.Fprintf(&b, " (%s)", detail)
	}
	if c.Sig > 0 {
		if en {
			fmt.Fprintf(&b, " after signature %d", c.Sig)
		} else {
			fmt.Fprintf(&b, " sau chữ ký %d", c.Sig)
		}
	}
	if c.Allowed {
		if en {
			b.WriteString(" (allowed)")
		} else {
			b.WriteString(" (được phép)")
		}
	}
	return b.String()
}

package sign

import (
	"fmt"
	"strings"

	"github.com/sohoa/sohoa/internal/l10n"
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
	WhatRecord      = "record data"
	WhatDSS         = "validation data (DSS)"
	WhatOutline     = "outline"
	WhatStructure   = "structure tree"
	WhatPermissions = "permissions"
	WhatOther       = "document data"
	WhatFile        = "file structure"
)

// whatKey names the catalogue entry ("sign.what.<id>") of each kind of object.
var whatKey = map[string]string{
	WhatCatalog:     "catalog",
	WhatInfo:        "info",
	WhatMetadata:    "metadata",
	WhatEncryption:  "encryption",
	WhatPageTree:    "pageTree",
	WhatPages:       "pages",
	WhatPage:        "page",
	WhatContent:     "content",
	WhatResources:   "resources",
	WhatFont:        "font",
	WhatXObject:     "xobject",
	WhatAnnotation:  "annotation",
	WhatFormField:   "formField",
	WhatForm:        "form",
	WhatSignature:   "signature",
	WhatAction:      "action",
	WhatJavaScript:  "javascript",
	WhatNames:       "names",
	WhatAttachment:  "attachment",
	WhatRecord:      "record",
	WhatDSS:         "dss",
	WhatOutline:     "outline",
	WhatStructure:   "structure",
	WhatPermissions: "permissions",
	WhatOther:       "other",
	WhatFile:        "file",
}

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

// detailKey names the catalogue entry ("sign.detail.<id>") of each structural anomaly.
var detailKey = map[string]string{
	detailUnreadable: "unreadable",
	detailHidden:     "hidden",
	detailKeyword:    "keyword",
	detailNotUpdate:  "notUpdate",
	detailInside:     "inside",
	detailTwice:      "twice",
	detailBack:       "back",
	detailSection:    "section",
	detailComplex:    "complex",
}

// describe names a kind of object, on a page when page > 0: "page 1", "page 1 content",
// "font, page 1".
func describe(what string, page int, lang string) string {
	w := what
	if id, ok := whatKey[what]; ok {
		w = l10n.T(lang, "sign.what."+id)
	}
	if page <= 0 {
		return w
	}
	switch what {
	case WhatPage:
		return l10n.T(lang, "sign.where.page", l10n.Args{"N": page})
	case WhatContent:
		return l10n.T(lang, "sign.where.content", l10n.Args{"N": page})
	}
	return l10n.T(lang, "sign.where.other", l10n.Args{"What": w, "N": page})
}

// objectDetailKey names the catalogue entry ("sign.objdetail.<id>") of each detail of an
// object change.
var objectDetailKey = map[string]string{
	"trailer":             "trailer",
	"cannot be read":      "unreadable",
	"another page tree":   "otherPageTree",
	"pages reordered":     "pagesReordered",
	"form removed":        "formRemoved",
	"form fields removed": "formFieldsRemoved",
	"a form field other than a signature added": "formFieldAdded",
	"/NeedAppearances changed":                  "needAppearances",
	"form default fonts changed":                "formFonts",
	"a signature field":                         "signatureField",
	"a signature widget":                        "signatureWidget",
	"form filled in":                            "formFilled",
	"locked by a signature":                     "locked",
	"an existing signature was replaced":        "signatureReplaced",
	"a signed signature field was changed":      "signedFieldChanged",
	"an empty signature field was signed":       "emptyFieldSigned",
}

// detailText is the detail of an object change in lang (English as the verifier wrote it).
func detailText(d, lang string) string {
	if lang == l10n.En {
		return d
	}
	if id, ok := objectDetailKey[d]; ok {
		return l10n.T(lang, "sign.objdetail."+id)
	}
	var n int
	if _, err := fmt.Sscanf(d, "fills a reference of unchanged object %d", &n); err == nil {
		return l10n.T(lang, "sign.objdetail.fills", l10n.Args{"N": n})
	}
	if _, err := fmt.Sscanf(d, "empties a reference of unchanged object %d", &n); err == nil {
		return l10n.T(lang, "sign.objdetail.empties", l10n.Args{"N": n})
	}
	return d
}

// String is the English text (as in SignatureResult.Changes).
func (c Change) String() string { return c.Text(l10n.En) }

// Localize is the change in lang (Text).
func (c Change) Localize(lang string) string { return c.Text(lang) }

// Text renders the change in English ("en") or Vietnamese (anything else).
func (c Change) Text(lang string) string {
	if lang != l10n.En {
		lang = l10n.Vi
	}
	obj := func() string { return l10n.T(lang, "sign.change.object", l10n.Args{"N": c.Object}) }
	afterSig := func() string { return l10n.T(lang, "sign.change.afterSignature", l10n.Args{"N": c.Sig}) }
	var b strings.Builder
	if c.What == WhatFile {
		d, more, _ := strings.Cut(c.Detail, ": ")
		if id, ok := detailKey[d]; ok && lang != l10n.En {
			b.WriteString(l10n.T(lang, "sign.detail."+id))
		} else {
			b.WriteString(d)
		}
		if c.Object > 0 {
			fmt.Fprintf(&b, " (%s", obj())
			if c.Role != "" {
				fmt.Fprintf(&b, " (%s)", describe(c.Role, c.Page, lang))
			}
			if c.Offset > 0 {
				fmt.Fprintf(&b, ", byte %d", c.Offset)
			}
			b.WriteString(")")
		} else if c.Offset > 0 {
			fmt.Fprintf(&b, " (byte %d)", c.Offset)
		}
		if more != "" {
			fmt.Fprintf(&b, ": %s", more)
		}
		if c.Sig > 0 {
			fmt.Fprintf(&b, ", %s", afterSig())
		}
		return b.String()
	}
	what := describe(c.What, c.Page, lang)
	action := c.Action
	if action == "" {
		action = "changed"
	}
	if action == "changed" || action == "added" || action == "removed" {
		action = l10n.T(lang, "sign.action."+action)
	}
	if c.Object > 0 {
		fmt.Fprintf(&b, "%s (%s)", obj(), what)
	} else {
		b.WriteString(what)
	}
	if c.Key != "" {
		fmt.Fprintf(&b, ": %s", c.Key)
	}
	fmt.Fprintf(&b, " %s", action)
	if c.Detail != "" {
		fmt.Fprintf(&b, " (%s)", detailText(c.Detail, lang))
	}
	if c.Sig > 0 {
		fmt.Fprintf(&b, " %s", afterSig())
	}
	if c.Allowed {
		fmt.Fprintf(&b, " (%s)", l10n.T(lang, "sign.change.allowed"))
	}
	return b.String()
}

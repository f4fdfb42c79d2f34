package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

// verifyScreen checks signatures: a PDF file (any signed PDF, not only SoHoa's) or a signed
// batch of this workstation, and says in plain words each signature, who signed, when, what
// it covers, what changed after signing (the verifier's reasons, in the interface language)
// and whether the signer is trusted (the workstation's trust store, or one chosen here). The
// checking is workflow.VerifyFile and workflow.VerifyBatch, off the UI goroutine.
type verifyScreen struct {
	e      *env
	onBack func()

	path     *widget.Entry
	batchSel *widget.Select
	batches  []queue.Batch
	trust    *widget.Entry // a trust store for this check ("": the workstation's)
	trustMsg *widget.Label
	fileBtn  *widget.Button
	batchBtn *widget.Button

	verdict *widget.Label
	body    *fyne.Container // the report
	status  *widget.Label
	busy    bool
	content fyne.CanvasObject
}

func newVerifyScreen(e *env, preselect string, onBack func()) *verifyScreen {
	v := &verifyScreen{e: e, onBack: onBack}
	v.path = widget.NewEntry()
	v.path.SetPlaceHolder(tr("verify.file.hint"))
	v.path.OnSubmitted = func(string) { v.checkFile() }
	browse := widget.NewButtonWithIcon(tr("sign.browse"), theme.FolderOpenIcon(), func() { browseFile(e.win, []string{".pdf"}, v.path) })
	v.fileBtn = widget.NewButtonWithIcon(tr("verify.file.go"), theme.SearchIcon(), v.checkFile)
	v.fileBtn.Importance = widget.HighImportance
	v.batchSel = widget.NewSelect(nil, nil)
	v.batchSel.PlaceHolder = tr("verify.batch.hint")
	v.batchBtn = widget.NewButtonWithIcon(tr("verify.batch.go"), theme.SearchIcon(), v.checkBatch)
	v.trust = widget.NewEntry()
	v.trust.SetPlaceHolder(tr("verify.trust.hint"))
	trustBrowse := widget.NewButtonWithIcon(tr("sign.browse"), theme.FolderOpenIcon(), func() {
		browseFile(e.win, []string{".pem", ".crt", ".cer"}, v.trust)
	})
	v.trustMsg = widget.NewLabel("")
	v.trustMsg.Wrapping = fyne.TextWrapWord
	v.verdict = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.verdict.Wrapping = fyne.TextWrapWord
	v.body = container.NewVBox()
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord

	fileRow := container.NewBorder(nil, nil, widget.NewLabel(tr("verify.file.label")), container.NewHBox(browse, v.fileBtn), v.path)
	batchRow := container.NewBorder(nil, nil, widget.NewLabel(tr("verify.batch.label")), v.batchBtn, v.batchSel)
	trustRow := container.NewBorder(nil, nil, widget.NewLabel(tr("verify.trust.label")), trustBrowse, v.trust)
	top := container.NewVBox(fileRow, batchRow, trustRow, v.trustMsg, widget.NewSeparator(), v.verdict)

	back := widget.NewButtonWithIcon(tr("viewer.back"), theme.NavigateBackIcon(), func() {
		if v.onBack != nil {
			v.onBack()
		}
	})
	title := widget.NewLabelWithStyle(tr("verify.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	head := container.NewVBox(container.NewHBox(back, title), top)
	v.content = container.NewBorder(head, v.status, nil, nil, container.NewVScroll(v.body))
	v.reload(preselect)
	return v
}

// reload reads the signed batches and the workstation's trust store setting.
func (v *verifyScreen) reload(preselect string) {
	e := v.e
	e.bg.Go(func() {
		bs, err := e.flow().SignedBatches(e.ctx)
		trust, _ := e.st.Setting(e.ctx, workflow.SettingTrustStore)
		e.do(func() {
			if err != nil {
				v.status.SetText(errText(err))
				return
			}
			v.batches = bs
			var opts []string
			for _, b := range bs {
				opts = append(opts, tr("verify.batch.item", map[string]any{"Name": b.Name, "State": stateName(b.State), "Docs": b.Documents}))
			}
			v.batchSel.Options = opts
			v.batchSel.Refresh()
			if trust != "" {
				v.trustMsg.SetText(tr("verify.trust.workstation", map[string]any{"Path": trust}))
			} else {
				v.trustMsg.SetText(tr("verify.trust.none"))
			}
			for i, b := range bs {
				if b.ID == preselect {
					v.batchSel.SetSelectedIndex(i)
					v.checkBatch()
				}
			}
		})
	})
}

// start runs check in the background with the trust options of the form.
func (v *verifyScreen) start(run func(ctx context.Context, w *workflow.Workflow, opts workflow.VerifyOptions)) {
	if v.busy {
		return
	}
	v.busy = true
	v.fileBtn.Disable()
	v.batchBtn.Disable()
	v.verdict.SetText("")
	v.body.Objects = nil
	v.body.Refresh()
	v.status.SetText(tr("verify.checking"))
	trust := strings.TrimSpace(v.trust.Text)
	e := v.e
	e.bg.Go(func() {
		w := e.flow()
		opts, err := w.TrustOptions(e.ctx, trust, false)
		if err != nil {
			e.do(func() {
				v.done()
				v.status.SetText(tr("verify.trust.bad", map[string]any{"Err": signErrText(err)}))
			})
			return
		}
		run(e.ctx, w, opts)
	})
}

func (v *verifyScreen) done() {
	v.busy = false
	v.fileBtn.Enable()
	v.batchBtn.Enable()
}

// checkFile verifies the PDF file named in the form.
func (v *verifyScreen) checkFile() {
	path := strings.TrimSpace(v.path.Text)
	if path == "" {
		return
	}
	v.start(func(ctx context.Context, w *workflow.Workflow, opts workflow.VerifyOptions) {
		fr, err := w.VerifyFile(ctx, path, opts)
		v.e.do(func() {
			v.done()
			v.status.SetText("")
			if err != nil {
				v.setVerdict(tr("verify.cannot", map[string]any{"Name": filepath.Base(path), "Err": verifyErrText(err)}), widget.DangerImportance)
				return
			}
			v.showFile(filepath.Base(path), fr, opts)
		})
	})
}

// checkBatch verifies the signed batch chosen in the form.
func (v *verifyScreen) checkBatch() {
	i := v.batchSel.SelectedIndex()
	if i < 0 || i >= len(v.batches) {
		return
	}
	b := v.batches[i]
	v.start(func(ctx context.Context, w *workflow.Workflow, opts workflow.VerifyOptions) {
		rep, err := w.VerifyBatch(ctx, b.ID, opts, func(ev workflow.Event) {
			v.e.do(func() { v.status.SetText(tr("verify.progress", map[string]any{"Done": ev.Done, "Total": ev.Total})) })
		})
		v.e.do(func() {
			v.done()
			v.status.SetText("")
			if err != nil {
				v.setVerdict(tr("verify.cannot", map[string]any{"Name": b.Name, "Err": verifyErrText(err)}), widget.DangerImportance)
				return
			}
			v.showBatch(rep, opts)
		})
	})
}

func (v *verifyScreen) setVerdict(s string, imp widget.Importance) {
	v.verdict.SetText(s)
	v.verdict.Importance = imp
	v.verdict.Refresh()
}

// fileVerdict is the one-line verdict of a file and its importance.
func fileVerdict(fr workflow.FileReport, opts workflow.VerifyOptions) (string, widget.Importance) {
	modified, cannot := false, false
	for _, s := range fr.Signatures {
		modified = modified || s.ModifiedAfter
		cannot = cannot || s.CannotVerify
	}
	switch {
	case !fr.Intact && modified:
		return tr("verify.verdict.modified"), widget.DangerImportance
	case !fr.Intact && cannot:
		return tr("verify.verdict.cannot"), widget.WarningImportance
	case !fr.Intact:
		return tr("verify.verdict.broken"), widget.DangerImportance
	case opts.Roots == nil:
		return tr("verify.verdict.intactNoTrust"), widget.WarningImportance
	case !fr.Trusted:
		return tr("verify.verdict.untrusted"), widget.WarningImportance
	}
	return tr("verify.verdict.ok"), widget.SuccessImportance
}

func (v *verifyScreen) showFile(name string, fr workflow.FileReport, opts workflow.VerifyOptions) {
	verdict, imp := fileVerdict(fr, opts)
	v.setVerdict(name+": "+verdict, imp)
	v.body.Objects = signatureViews(fr, opts)
	v.body.Refresh()
}

func (v *verifyScreen) showBatch(rep workflow.BatchReport, opts workflow.VerifyOptions) {
	switch {
	case !rep.Intact:
		v.setVerdict(tr("verify.batch.bad", map[string]any{"Name": rep.BatchName}), widget.DangerImportance)
	case opts.Roots == nil:
		v.setVerdict(tr("verify.batch.okNoTrust", map[string]any{"Name": rep.BatchName, "Docs": len(rep.Documents)}), widget.WarningImportance)
	case !rep.Trusted:
		v.setVerdict(tr("verify.batch.untrusted", map[string]any{"Name": rep.BatchName, "Docs": len(rep.Documents)}), widget.WarningImportance)
	default:
		v.setVerdict(tr("verify.batch.ok", map[string]any{"Name": rep.BatchName, "Docs": len(rep.Documents)}), widget.SuccessImportance)
	}
	var objs []fyne.CanvasObject
	if rep.ManifestErr == nil {
		objs = append(objs, wrapLabel(tr("verify.manifest.ok", map[string]any{"Signer": rep.ManifestSigner}), widget.MediumImportance))
	}
	for _, p := range rep.Problems {
		imp := widget.DangerImportance
		if p.Kind == "manifest_untrusted" {
			imp = widget.WarningImportance
		}
		objs = append(objs, wrapLabel("• "+p.Text(currentLanguage()), imp))
	}
	acc := widget.NewAccordion()
	for _, d := range rep.Documents {
		title := tr("verify.doc", map[string]any{"Seq": d.Seq, "ID": d.DocumentID})
		var inner []fyne.CanvasObject
		if d.Err != nil {
			title += " — " + tr("verify.verdict.cannotShort")
			inner = append(inner, wrapLabel(verifyErrText(d.Err), widget.DangerImportance))
		} else {
			verdict, _ := fileVerdict(d.FileReport, opts)
			title += " — " + verdict
			inner = signatureViews(d.FileReport, opts)
		}
		item := widget.NewAccordionItem(title, container.NewVBox(inner...))
		acc.Append(item)
		if d.Err != nil || !d.Intact {
			item.Open = true
		}
	}
	if len(acc.Items) > 0 {
		acc.Items[0].Open = true
	}
	objs = append(objs, acc)
	v.body.Objects = objs
	v.body.Refresh()
}

// signatureViews describes each signature of a file.
func signatureViews(fr workflow.FileReport, opts workflow.VerifyOptions) []fyne.CanvasObject {
	var objs []fyne.CanvasObject
	lang := currentLanguage()
	for _, s := range fr.Signatures {
		who := s.Name
		if who == "" {
			who = s.Signer
		}
		if s.Timestamp {
			who = tr("verify.sig.timestamp")
		}
		head := widget.NewLabelWithStyle(tr("verify.sig.head", map[string]any{"N": s.Index, "Who": who}), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		head.Wrapping = fyne.TextWrapWord
		objs = append(objs, widget.NewSeparator(), head)
		if s.Signer != "" {
			objs = append(objs, wrapLabel(tr("verify.sig.cert", map[string]any{"Holder": s.Signer, "Issuer": s.Issuer, "Until": formatDate(s.CertUntil)}), widget.MediumImportance))
		}
		when := tr("verify.sig.whenUnknown")
		if !s.SigningTime.IsZero() {
			when = tr("verify.sig.when", map[string]any{"Time": formatLocal(s.SigningTime)})
		}
		if !s.TimestampTime.IsZero() {
			when += " " + tr("verify.sig.tsa", map[string]any{"Time": formatLocal(s.TimestampTime)})
		}
		objs = append(objs, wrapLabel(when, widget.MediumImportance))
		if s.Reason != "" || s.Location != "" {
			objs = append(objs, wrapLabel(tr("verify.sig.reason", map[string]any{"Reason": pickLanguage(s.Reason), "Place": s.Location}), widget.MediumImportance))
		}
		covers := tr("verify.sig.coversAll", map[string]any{"Size": fmtBytes(s.FileSize)})
		if !s.CoversWholeFile {
			covers = tr("verify.sig.coversPart", map[string]any{"Signed": fmtBytes(s.CoveredBytes), "Size": fmtBytes(s.FileSize)})
		}
		if s.Certification {
			covers += " " + tr(fmt.Sprintf("verify.sig.docmdp%d", min(max(s.DocMDP, 1), 3)))
		}
		objs = append(objs, wrapLabel(covers, widget.MediumImportance))
		state, imp := tr("verify.sig.intact"), widget.SuccessImportance
		switch {
		case s.Intact:
		case s.ModifiedAfter:
			state, imp = tr("verify.sig.modified"), widget.DangerImportance
		case s.CannotVerify:
			state, imp = tr("verify.sig.cannot"), widget.WarningImportance
		default:
			state, imp = tr("verify.sig.broken"), widget.DangerImportance
		}
		if s.Level != "" && s.Level != "adbe" {
			state += " " + tr("verify.sig.level", map[string]any{"Level": s.Level})
		}
		objs = append(objs, wrapLabel(state, imp))
		switch {
		case opts.IntegrityOnly:
		case opts.Roots == nil:
			objs = append(objs, wrapLabel(tr("verify.sig.noTrustStore"), widget.WarningImportance))
		case s.Trusted:
			objs = append(objs, wrapLabel(tr("verify.sig.trusted"), widget.SuccessImportance))
		case s.SignerTrusted:
			objs = append(objs, wrapLabel(tr("verify.sig.trustedBroken"), widget.WarningImportance))
		default:
			objs = append(objs, wrapLabel(tr("verify.sig.untrusted"), widget.WarningImportance))
		}
		if len(s.Changes) > 0 {
			objs = append(objs, wrapLabel(tr("verify.sig.changes"), widget.DangerImportance))
			for _, ch := range s.Changes {
				objs = append(objs, wrapLabel("• "+ch.Text(lang), widget.DangerImportance))
			}
		}
		if len(s.AllowedChanges) > 0 {
			objs = append(objs, wrapLabel(tr("verify.sig.allowed"), widget.MediumImportance))
			for _, ch := range s.AllowedChanges {
				objs = append(objs, wrapLabel("• "+ch.Text(lang), widget.MediumImportance))
			}
		}
	}
	return objs
}

func wrapLabel(s string, imp widget.Importance) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = imp
	return l
}

// verifyErrText names why a file could not be checked at all.
func verifyErrText(err error) string {
	var fe *workflow.FileError
	switch {
	case errors.As(err, &fe):
		return tr("verify.err.read", map[string]any{"Name": fe.Name})
	case l10n.Translatable(err):
		return errText(err)
	}
	return pickLanguage(strings.TrimPrefix(err.Error(), "sign: "))
}

package sign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// revision is one revision of a PDF (the file cut after one of its %%EOF markers) as a
// viewer reads it: its cross-reference chain read strictly (xref.go) and its objects read
// by pdfcpu through that chain, with strings and streams of encrypted files decrypted.
type revision struct {
	End  int64
	Xref *xrefChain
	ctx  *model.Context
	root int // object number of the catalog
}

// pdfcpuTimeout bounds pdfcpu's work on one revision (real ones take milliseconds).
const pdfcpuTimeout = 20 * time.Second

// pdfcpuConfig is pdfcpu's configuration for reading: strict, offline, with no
// configuration folder (nothing is read from or written to the user's profile and no global
// setting is changed), bounded on hostile input.
func pdfcpuConfig(size int) *model.Configuration {
	limits := model.DefaultResourceLimits()
	limits.MaxStreamBytes = int64(size)
	limits.MaxDecodeBytes = maxXrefDecoded
	limits.MaxImagePixels = 1
	limits.MaxImageBytes = 1
	limits.MaxObjectCount = maxObjectNumber
	limits.MaxObjectStreamCount = 1 << 16
	limits.MaxObjectStreamFirst = 1 << 20
	limits.MaxXRefEntries = maxXrefEntries
	limits.MaxRecursionDepth = maxDepth
	return &model.Configuration{
		Version:                   model.VersionStr,
		Reader15:                  true,
		ValidationMode:            model.ValidationStrict,
		UnsupportedResourcePolicy: model.UnsupportedResourceFail,
		Eol:                       types.EolLF,
		Cmd:                       model.VALIDATE,
		Offline:                   true,
		Limits:                    limits,
	}
}

// errRepaired: pdfcpu read the revision only by repairing it, or read other objects than
// the cross-reference chain lists.
var errRepaired = errors.New("pdfcpu had to repair the cross-reference data")

// readRevision reads data[:end].
func readRevision(c context.Context, data []byte, end int64) (*revision, error) {
	x, err := readXref(data, end)
	if err != nil {
		return nil, err
	}
	if err := checkOffsets(data[:end], x); err != nil {
		return nil, err
	}
	ctx, err := pdfcpuRead(c, data[:end])
	if err != nil {
		return nil, err
	}
	if err := sameTable(x, ctx); err != nil {
		return nil, err
	}
	r := x.Trailer["Root"].(pdfRef) // readXref checked it
	return &revision{End: end, Xref: x, ctx: ctx, root: r.Num}, nil
}

// pdfcpuRead reads a revision with pdfcpu, turning its panics (on hostile input) into errors.
func pdfcpuRead(c context.Context, rev []byte) (ctx *model.Context, err error) {
	defer func() {
		if p := recover(); p != nil {
			ctx, err = nil, fmt.Errorf("pdfcpu: reader failure: %v", p)
		}
	}()
	c, cancel := context.WithTimeout(c, pdfcpuTimeout)
	defer cancel()
	ctx, err = pdfcpu.ReadWithContext(c, bytes.NewReader(rev), pdfcpuConfig(len(rev)))
	if err != nil {
		return nil, fmt.Errorf("pdfcpu: %w", err)
	}
	return ctx, nil
}

// checkOffsets: every in-use entry of every section points at "N G obj" of its own object
// and generation (white space only between the tokens and before them: some writers point
// at the end of line before the object), inside the revision; every
// compressed entry names an object stream the revision holds.
func checkOffsets(rev []byte, x *xrefChain) error {
	for _, s := range x.Sections {
		for n, e := range s.Entries {
			if e.Type != 1 || (n == 0 && e.Offset == 0) {
				continue
			}
			ok := false
			var num, gen int
			if e.Offset > 0 && e.Offset < int64(len(rev)) {
				num, gen, _, ok = objHeader(rev, skipWhite(rev, int(e.Offset)))
			}
			if !ok || num != n || gen != e.Gen {
				return xrefErrObj(n, e.Offset, "the entry of object %d points at offset %d, where \"%d %d obj\" is not", n, e.Offset, n, e.Gen)
			}
		}
	}
	for n, e := range x.Table {
		if e.Type != 2 {
			continue
		}
		if s, ok := x.Table[e.Stream]; !ok || s.Type != 1 || s.Gen != 0 {
			return xrefErrObj(n, 0, "object %d is said to be in object stream %d, which the revision does not hold", n, e.Stream)
		}
	}
	return nil
}

// sameTable compares pdfcpu's table with the strict reader's: pdfcpu repairs broken files
// without saying so (it rebuilds the table by scanning for objects, shifts offsets, drops
// entries), and a repaired file is not what the signer signed.
func sameTable(x *xrefChain, ctx *model.Context) error {
	if ctx.Read.RepairOffset != 0 {
		return fmt.Errorf("%w (all offsets shifted by %d)", errRepaired, ctx.Read.RepairOffset)
	}
	if ctx.Root == nil || int(ctx.Root.ObjectNumber) != x.Trailer["Root"].(pdfRef).Num {
		return fmt.Errorf("%w (another catalog)", errRepaired)
	}
	for n, e := range x.Table {
		pe := ctx.Table[n]
		switch e.Type {
		case 1:
			if n == 0 {
				continue
			}
			if pe == nil || pe.Free || pe.Compressed || pe.Offset == nil || *pe.Offset != e.Offset || pe.Generation == nil || *pe.Generation != e.Gen {
				return fmt.Errorf("%w (object %d)", errRepaired, n)
			}
		case 2:
			// pdfcpu clears Compressed once it has taken the object out of its stream.
			if pe == nil || pe.Free || pe.Offset != nil || pe.ObjectStream == nil || *pe.ObjectStream != e.Stream || pe.ObjectStreamInd == nil || *pe.ObjectStreamInd != e.Index {
				return fmt.Errorf("%w (object %d)", errRepaired, n)
			}
		default:
			if pe != nil && !pe.Free {
				return fmt.Errorf("%w (free object %d is in use)", errRepaired, n)
			}
		}
	}
	for n, pe := range ctx.Table {
		if pe == nil || pe.Free || n == 0 {
			continue
		}
		if e, ok := x.Table[n]; !ok || e.Type == 0 {
			return fmt.Errorf("%w (object %d is listed by no section)", errRepaired, n)
		}
	}
	return nil
}

// object returns object n of the revision (nil for a free or missing object, or one that
// cannot be decoded from its object stream).
func (r *revision) object(n int) types.Object {
	e := r.ctx.Table[n]
	if e == nil || e.Free {
		return nil
	}
	if l, ok := e.Object.(types.LazyObjectStreamObject); ok {
		// pdfcpu decodes objects of object streams when first used.
		c, cancel := context.WithTimeout(context.Background(), pdfcpuTimeout)
		o, err := l.DecodedObject(c)
		cancel()
		if err != nil {
			o = nil
		}
		e.Object = o
	}
	return e.Object
}

// has: object n is in use in the revision.
func (r *revision) has(n int) bool {
	e, ok := r.Xref.Table[n]
	return ok && e.Type != 0
}

// resolve follows indirect references (a reference to a missing object, or to one whose
// generation differs, is null, as ISO 32000-2 7.3.10 says).
func (r *revision) resolve(o types.Object) types.Object {
	for i := 0; i < 32; i++ {
		ir, ok := o.(types.IndirectRef)
		if !ok {
			return o
		}
		e, ok := r.Xref.Table[int(ir.ObjectNumber)]
		if !ok || e.Type == 0 || (e.Type == 1 && e.Gen != int(ir.GenerationNumber)) || (e.Type == 2 && ir.GenerationNumber != 0) {
			return nil
		}
		o = r.object(int(ir.ObjectNumber))
	}
	return nil
}

func (r *revision) dict(o types.Object) types.Dict {
	switch d := r.resolve(o).(type) {
	case types.Dict:
		return d
	case types.StreamDict:
		return d.Dict
	}
	return nil
}

func (r *revision) array(o types.Object) types.Array {
	a, _ := r.resolve(o).(types.Array)
	return a
}

func (r *revision) catalog() types.Dict {
	return r.dict(types.IndirectRef{ObjectNumber: types.Integer(r.root)})
}

// refNum returns the object number o refers to (0 when o is not a reference).
func refNum(o types.Object) int {
	if ir, ok := o.(types.IndirectRef); ok {
		return int(ir.ObjectNumber)
	}
	return 0
}

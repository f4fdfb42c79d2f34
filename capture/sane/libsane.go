package sane

/*
#cgo pkg-config: sane-backends
#cgo LDFLAGS: -ldl
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <pthread.h>
#include <sane/sane.h>

// Backends run reader threads (sanei_thread) that write into a pipe; after
// sane_cancel closes its read end, such a write raises SIGPIPE on a non-Go
// thread, which would kill the process. Threads inherit the creator's signal
// mask, so SIGPIPE is blocked while sane_start creates them: their writes then
// fail with EPIPE, which the backends handle.
static SANE_Status sohoa_start(SANE_Handle h) {
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	SANE_Status s = sane_start(h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return s;
}

static SANE_Int sohoa_version_code;
static SANE_Status sohoa_init(void) { return sane_init(&sohoa_version_code, NULL); }
static int sohoa_v_major(void) { return SANE_VERSION_MAJOR(sohoa_version_code); }
static int sohoa_v_minor(void) { return SANE_VERSION_MINOR(sohoa_version_code); }
static int sohoa_v_build(void) { return SANE_VERSION_BUILD(sohoa_version_code); }

#include <poll.h>
#include <link.h>
#include <dlfcn.h>

// Pin every loaded SANE backend (…/sane/libsane-NAME.so) with RTLD_NODELETE
// so that sane_exit's dlclose never unmaps one: a backend reader thread that
// is still finishing after sane_cancel (observed with the test backend under
// the race detector) would otherwise jump into unmapped code and crash.
static int sohoa_pin_one(struct dl_phdr_info *info, size_t size, void *data) {
	(void)size; (void)data;
	if (info->dlpi_name && strstr(info->dlpi_name, "/sane/libsane-") != NULL) {
		dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
	}
	return 0;
}
static void sohoa_pin_backends(void) { dl_iterate_phdr(sohoa_pin_one, NULL); }

// sohoa_settle waits up to ms milliseconds for the backend's select fd to
// become readable, i.e. for its reader thread to have produced data.
static void sohoa_settle(SANE_Handle h, int ms) {
	SANE_Int fd = -1;
	if (sane_get_select_fd(h, &fd) != SANE_STATUS_GOOD || fd < 0) return;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	poll(&p, 1, ms);
}

static const SANE_Device *sohoa_dev_at(const SANE_Device **l, int i) { return l[i]; }

static const SANE_String_Const *sohoa_string_list(const SANE_Option_Descriptor *d) { return d->constraint.string_list; }
static const SANE_Word *sohoa_word_list(const SANE_Option_Descriptor *d) { return d->constraint.word_list; }
static const SANE_Range *sohoa_range(const SANE_Option_Descriptor *d) { return d->constraint.range; }
static const char *sohoa_str_at(const SANE_String_Const *l, int i) { return l[i]; }

static SANE_Status sohoa_set(SANE_Handle h, SANE_Int i, void *v, SANE_Int *info) {
	return sane_control_option(h, i, SANE_ACTION_SET_VALUE, v, info);
}
static SANE_Status sohoa_get(SANE_Handle h, SANE_Int i, void *v) {
	return sane_control_option(h, i, SANE_ACTION_GET_VALUE, v, NULL);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// status is a SANE_Status value returned by libsane.
type status int

const (
	statusGood        status = C.SANE_STATUS_GOOD
	statusUnsupported status = C.SANE_STATUS_UNSUPPORTED
	statusCancelled   status = C.SANE_STATUS_CANCELLED
	statusDeviceBusy  status = C.SANE_STATUS_DEVICE_BUSY
	statusInval       status = C.SANE_STATUS_INVAL
	statusEOF         status = C.SANE_STATUS_EOF
	statusJammed      status = C.SANE_STATUS_JAMMED
	statusNoDocs      status = C.SANE_STATUS_NO_DOCS
	statusCoverOpen   status = C.SANE_STATUS_COVER_OPEN
	statusIOError     status = C.SANE_STATUS_IO_ERROR
	statusNoMem       status = C.SANE_STATUS_NO_MEM
	statusAccessDen   status = C.SANE_STATUS_ACCESS_DENIED
)

func (s status) Error() string {
	return "sane: " + C.GoString(C.sane_strstatus(C.SANE_Status(s)))
}

// statusError turns a SANE status into a Go error (nil for GOOD).
func statusError(s C.SANE_Status) error {
	if s == C.SANE_STATUS_GOOD {
		return nil
	}
	return status(s)
}

// library reference count: sane_init on the first New, sane_exit on the last Close.
var (
	libMu   sync.Mutex
	libRefs int
)

func libInit() error {
	libMu.Lock()
	defer libMu.Unlock()
	if libRefs == 0 {
		if err := statusError(C.sohoa_init()); err != nil {
			return fmt.Errorf("sane_init: %w", err)
		}
	}
	libRefs++
	return nil
}

func libExit() {
	libMu.Lock()
	defer libMu.Unlock()
	if libRefs == 0 {
		return
	}
	libRefs--
	if libRefs == 0 {
		C.sohoa_pin_backends()
		C.sane_exit()
	}
}

// LibraryVersion is the version libsane reports from sane_init ("1.2.1"): the SANE
// backends library this process runs with.
func LibraryVersion() (string, error) {
	if err := libInit(); err != nil {
		return "", err
	}
	defer libExit()
	libMu.Lock()
	defer libMu.Unlock()
	return fmt.Sprintf("%d.%d.%d", int(C.sohoa_v_major()), int(C.sohoa_v_minor()), int(C.sohoa_v_build())), nil
}

type devInfo struct{ name, vendor, model, kind string }

// listDevices calls sane_get_devices. The caller holds libMu-independent
// serialisation through Driver.globalMu.
func listDevices() ([]devInfo, error) {
	var list **C.SANE_Device
	if err := statusError(C.sane_get_devices(&list, C.SANE_FALSE)); err != nil {
		return nil, fmt.Errorf("sane_get_devices: %w", err)
	}
	var out []devInfo
	for i := 0; ; i++ {
		d := C.sohoa_dev_at(list, C.int(i))
		if d == nil {
			break
		}
		out = append(out, devInfo{
			name:   C.GoString(d.name),
			vendor: C.GoString(d.vendor),
			model:  C.GoString(d.model),
			kind:   C.GoString(d._type),
		})
	}
	return out, nil
}

// handle is one open SANE device. It is used by one goroutine at a time,
// except for cancel, which may come from another goroutine (a cancelled
// context). SANE allows sane_cancel from another thread, but backends do not
// all survive it: the test backend's sane_cancel racing its sane_start leaves
// a reader thread that nobody joins, which later writes into the next page's
// pipe and reads a freed device (seen as corrupt pages and segfaults under
// load). So cancel only calls sane_cancel itself when no other SANE call is
// running on the handle; otherwise it leaves the cancel to the job goroutine,
// which checks its context as soon as that call returns, and forces
// sane_cancel only if the call is still blocked after forceCancelAfter (a
// device that stopped sending data).
type handle struct {
	h            C.SANE_Handle
	mu           sync.Mutex
	closed       bool
	inCall       bool // sane_start or sane_read running on the job goroutine
	cancelWanted bool
	buf          unsafe.Pointer
}

// forceCancelAfter is how long cancel waits for a running sane_start or
// sane_read to return before calling sane_cancel concurrently with it.
var forceCancelAfter = 2 * time.Second

const readBufSize = 64 * 1024

func openHandle(name string) (*handle, error) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	var h C.SANE_Handle
	if err := statusError(C.sane_open(cs, &h)); err != nil {
		return nil, err
	}
	return &handle{h: h, buf: C.malloc(readBufSize)}, nil
}

// cancel stops the current operation; safe to call from any goroutine (see
// handle for when it calls sane_cancel at once and when it defers).
func (h *handle) cancel() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	if !h.inCall {
		C.sane_cancel(h.h)
		return
	}
	h.cancelWanted = true
	time.AfterFunc(forceCancelAfter, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if !h.closed && h.inCall && h.cancelWanted {
			C.sane_cancel(h.h)
		}
	})
}

// call marks a blocking SANE call on the job goroutine; the returned func
// ends it.
func (h *handle) call() func() {
	h.mu.Lock()
	h.inCall = true
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		h.inCall = false
		h.mu.Unlock()
	}
}

// settle is called before cancelling a frame that failed at once. Backends
// with a reader thread (the test backend, for one) can deadlock in libc when
// sane_cancel kills that thread while it is still starting up inside malloc
// (seen as a hang in pthread_join under sane_cancel). If the backend offers a
// select fd, wait (at most 200 ms) until the reader has written its first
// data, which means it is past its start-up.
func (h *handle) settle() {
	C.sohoa_settle(h.h, 200)
}

// close cancels any operation and closes the handle. Idempotent.
func (h *handle) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	C.sane_cancel(h.h)
	C.sane_close(h.h)
	C.free(h.buf)
	h.closed = true
}

func (h *handle) start() error {
	defer h.call()()
	return statusError(C.sohoa_start(h.h))
}

type params struct {
	format       int
	lastFrame    bool
	bytesPerLine int
	pixels       int
	lines        int
	depth        int
}

const (
	frameGray  = C.SANE_FRAME_GRAY
	frameRGB   = C.SANE_FRAME_RGB
	frameRed   = C.SANE_FRAME_RED
	frameGreen = C.SANE_FRAME_GREEN
	frameBlue  = C.SANE_FRAME_BLUE
)

func (h *handle) parameters() (params, error) {
	var p C.SANE_Parameters
	if err := statusError(C.sane_get_parameters(h.h, &p)); err != nil {
		return params{}, err
	}
	return params{
		format:       int(p.format),
		lastFrame:    p.last_frame != 0,
		bytesPerLine: int(p.bytes_per_line),
		pixels:       int(p.pixels_per_line),
		lines:        int(p.lines),
		depth:        int(p.depth),
	}, nil
}

// read reads up to readBufSize bytes into dst's tail. It returns the bytes
// appended and the raw status (EOF is a status, not an error here).
func (h *handle) read(dst []byte) ([]byte, status) {
	var n C.SANE_Int
	done := h.call()
	s := C.sane_read(h.h, (*C.SANE_Byte)(h.buf), readBufSize, &n)
	done()
	if s == C.SANE_STATUS_GOOD && n > 0 {
		dst = append(dst, unsafe.Slice((*byte)(h.buf), int(n))...)
	}
	return dst, status(s)
}

// option is a snapshot of one option descriptor.
type option struct {
	index      int
	name       string
	typ        int
	unit       int
	size       int
	active     bool
	settable   bool
	strings    []string // string-list constraint
	words      []float64
	hasRange   bool
	min, max   float64
	quant      float64
	constraint int
}

const (
	typeBool   = C.SANE_TYPE_BOOL
	typeInt    = C.SANE_TYPE_INT
	typeFixed  = C.SANE_TYPE_FIXED
	typeString = C.SANE_TYPE_STRING
	typeButton = C.SANE_TYPE_BUTTON
	typeGroup  = C.SANE_TYPE_GROUP

	unitPixel = C.SANE_UNIT_PIXEL
	unitMM    = C.SANE_UNIT_MM
)

func wordValue(typ int, w C.SANE_Word) float64 {
	if typ == typeFixed {
		return float64(w) / float64(1<<C.SANE_FIXED_SCALE_SHIFT)
	}
	return float64(w)
}

// options reads every option descriptor of the device.
func (h *handle) options() []option {
	var out []option
	for i := 1; ; i++ {
		d := C.sane_get_option_descriptor(h.h, C.SANE_Int(i))
		if d == nil {
			break
		}
		o := option{
			index:      i,
			name:       C.GoString(d.name),
			typ:        int(d._type),
			unit:       int(d.unit),
			size:       int(d.size),
			active:     d.cap&C.SANE_CAP_INACTIVE == 0,
			settable:   d.cap&C.SANE_CAP_SOFT_SELECT != 0,
			constraint: int(d.constraint_type),
		}
		switch d.constraint_type {
		case C.SANE_CONSTRAINT_STRING_LIST:
			l := C.sohoa_string_list(d)
			for j := 0; l != nil; j++ {
				s := C.sohoa_str_at(l, C.int(j))
				if s == nil {
					break
				}
				o.strings = append(o.strings, C.GoString(s))
			}
		case C.SANE_CONSTRAINT_WORD_LIST:
			wl := C.sohoa_word_list(d)
			if wl != nil {
				n := int(*wl)
				ws := unsafe.Slice(wl, n+1)
				for _, w := range ws[1:] {
					o.words = append(o.words, wordValue(o.typ, w))
				}
			}
		case C.SANE_CONSTRAINT_RANGE:
			r := C.sohoa_range(d)
			if r != nil {
				o.hasRange = true
				o.min = wordValue(o.typ, r.min)
				o.max = wordValue(o.typ, r.max)
				o.quant = wordValue(o.typ, r.quant)
			}
		}
		out = append(out, o)
	}
	return out
}

// find returns the active option with this name.
func (h *handle) find(name string) (option, bool) {
	for _, o := range h.options() {
		if o.name == name && o.typ != typeGroup {
			return o, true
		}
	}
	return option{}, false
}

var errInactive = errors.New("option is inactive")

// setString sets an option from its textual value, converting to the
// option's type: bool (yes/no/true/false/1/0), int, fixed (decimal), string,
// or button (value ignored). Only single-word options are supported.
func (h *handle) setString(name, value string) error {
	o, ok := h.find(name)
	if !ok {
		return fmt.Errorf("option %q: %w", name, status(statusUnsupported))
	}
	if !o.active {
		return fmt.Errorf("option %q: %w", name, errInactive)
	}
	if !o.settable {
		return fmt.Errorf("option %q is read-only: %w", name, status(statusInval))
	}
	var info C.SANE_Int
	var s C.SANE_Status
	switch o.typ {
	case typeBool:
		var w C.SANE_Word
		switch strings.ToLower(value) {
		case "yes", "true", "1", "on":
			w = C.SANE_TRUE
		case "no", "false", "0", "off":
			w = C.SANE_FALSE
		default:
			return fmt.Errorf("option %q: %q is not a boolean", name, value)
		}
		s = C.sohoa_set(h.h, C.SANE_Int(o.index), unsafe.Pointer(&w), &info)
	case typeInt, typeFixed:
		f, err := strconv.ParseFloat(value, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("option %q: %q is not a number", name, value)
		}
		return h.setNumber(o, f)
	case typeString:
		n := o.size
		if len(value)+1 > n {
			n = len(value) + 1
		}
		buf := (*C.char)(C.calloc(C.size_t(n), 1))
		defer C.free(unsafe.Pointer(buf))
		cs := C.CString(value)
		defer C.free(unsafe.Pointer(cs))
		C.strcpy(buf, cs)
		s = C.sohoa_set(h.h, C.SANE_Int(o.index), unsafe.Pointer(buf), &info)
	case typeButton:
		s = C.sohoa_set(h.h, C.SANE_Int(o.index), nil, &info)
	default:
		return fmt.Errorf("option %q: unsupported type", name)
	}
	if err := statusError(s); err != nil {
		return fmt.Errorf("option %q: %w", name, err)
	}
	return nil
}

// setNumber sets an int or fixed option (single word; arrays get the value in
// every element) and returns the error status.
func (h *handle) setNumber(o option, f float64) error {
	if f > math.MaxInt32/2 || f < math.MinInt32/2 {
		return fmt.Errorf("option %q: value out of range: %w", o.name, status(statusInval))
	}
	var w C.SANE_Word
	if o.typ == typeFixed {
		w = C.SANE_Word(f * float64(1<<C.SANE_FIXED_SCALE_SHIFT))
	} else {
		w = C.SANE_Word(math.Round(f))
	}
	n := o.size / int(unsafe.Sizeof(w))
	if n < 1 {
		n = 1
	}
	arr := (*C.SANE_Word)(C.calloc(C.size_t(n), C.size_t(unsafe.Sizeof(w))))
	defer C.free(unsafe.Pointer(arr))
	ws := unsafe.Slice(arr, n)
	for i := range ws {
		ws[i] = w
	}
	var info C.SANE_Int
	if err := statusError(C.sohoa_set(h.h, C.SANE_Int(o.index), unsafe.Pointer(arr), &info)); err != nil {
		return fmt.Errorf("option %q: %w", o.name, err)
	}
	return nil
}

// getNumber reads a single-word int or fixed option.
func (h *handle) getNumber(o option) (float64, error) {
	n := o.size / 4
	if n < 1 {
		n = 1
	}
	arr := (*C.SANE_Word)(C.calloc(C.size_t(n), 4))
	defer C.free(unsafe.Pointer(arr))
	if err := statusError(C.sohoa_get(h.h, C.SANE_Int(o.index), unsafe.Pointer(arr))); err != nil {
		return 0, err
	}
	return wordValue(o.typ, *arr), nil
}

// getBytes reads an option's raw value (o.size bytes).
func (h *handle) getBytes(o option) ([]byte, error) {
	n := o.size
	if n < 4 {
		n = 4
	}
	buf := C.calloc(C.size_t(n), 1)
	defer C.free(buf)
	if err := statusError(C.sohoa_get(h.h, C.SANE_Int(o.index), buf)); err != nil {
		return nil, err
	}
	return C.GoBytes(buf, C.int(n)), nil
}

package sane

/*
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>

typedef int (*sohoa_setcanceltype_fn)(int, int *);

// sohoa_real_setcanceltype calls the C library's pthread_setcanceltype,
// which the exported Go function below hides from the SANE backends.
static int sohoa_real_setcanceltype(int type, int *old) {
	static sohoa_setcanceltype_fn real;
	if (!real) {
		real = (sohoa_setcanceltype_fn)dlsym(RTLD_NEXT, "pthread_setcanceltype");
		if (!real) return 22; // EINVAL
	}
	if (type == PTHREAD_CANCEL_ASYNCHRONOUS) type = PTHREAD_CANCEL_DEFERRED;
	return real(type, old);
}
*/
import "C"

import "sync/atomic"

// deferredCancels counts the calls that went through pthread_setcanceltype
// below (a test checks that backend reader threads do).
var deferredCancels atomic.Int64

// pthread_setcanceltype replaces the C library's function for the whole
// process (the linker exports it, so dlopen'ed SANE backends bind to it).
//
// Why: SANE's sanei_thread, in its pthread flavour (Debian's build), makes
// every backend reader thread asynchronously cancellable, and sane_read /
// sane_cancel then pthread_cancel that thread — typically at the very moment
// it is freeing its buffer and exiting. An asynchronous cancel that lands
// inside malloc or free leaves the allocator's lock held or its heap
// corrupt: the test backend showed it as a hang in free() and as a
// segmentation fault in about one test run in forty. Turning asynchronous
// cancellation into deferred cancellation makes the cancel take effect at the
// reader's next cancellation point (its write to the pipe, a sleep, a poll on
// the device), which are safe places; a reader that is already exiting just
// exits, and pthread_join returns as before.
//
// Nothing else in SoHoa asks for asynchronous cancellation.
//
//export pthread_setcanceltype
func pthread_setcanceltype(typ C.int, old *C.int) C.int {
	deferredCancels.Add(1)
	return C.sohoa_real_setcanceltype(typ, old)
}

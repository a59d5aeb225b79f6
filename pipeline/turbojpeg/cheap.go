package turbojpeg

/*
#include <malloc.h>

// sohoa_tj_malloc_in_use returns the bytes the C allocator has handed out and not taken back.
static size_t sohoa_tj_malloc_in_use(void) {
	struct mallinfo2 m = mallinfo2();
	return m.uordblks + m.hblkhd;
}
*/
import "C"

// cHeapInUse returns the bytes of C memory in use in the process (glibc's mallinfo2), for the
// leak test: what libjpeg-turbo allocated and did not free. Go's own memory is not counted.
func cHeapInUse() int64 { return int64(C.sohoa_tj_malloc_in_use()) }

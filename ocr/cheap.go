package ocr

/*
#include <malloc.h>

// sohoa_malloc_in_use returns the bytes the C allocator has handed out and not taken back,
// over all its arenas, including blocks it mapped separately.
static size_t sohoa_malloc_in_use(void) {
	struct mallinfo2 m = mallinfo2();
	return m.uordblks + m.hblkhd;
}
*/
import "C"

// cHeapInUse returns the bytes of C memory in use in the process (glibc's mallinfo2): what
// Tesseract and Leptonica allocated and did not free. Go's own memory is not counted.
func cHeapInUse() int64 { return int64(C.sohoa_malloc_in_use()) }

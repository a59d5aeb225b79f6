package turbojpeg

/*
#cgo LDFLAGS: -ljpeg
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <jpeglib.h>

// sohoa_jerr is a libjpeg error manager that returns to its caller's setjmp instead of exiting,
// on an error and on a warning (corrupt data) alike, with the message.
struct sohoa_jerr {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
	char *msg;
	int msglen;
};

static void sohoa_jerr_exit(j_common_ptr c) {
	struct sohoa_jerr *e = (struct sohoa_jerr *)c->err;
	char buf[JMSG_LENGTH_MAX];
	(*c->err->format_message)(c, buf);
	snprintf(e->msg, e->msglen, "%s", buf);
	longjmp(e->jb, 1);
}

static void sohoa_jerr_emit(j_common_ptr c, int level) {
	if (level < 0) sohoa_jerr_exit(c); // a warning: corrupt or truncated data
}

// sohoa_jerr_init sets e up to report into msg and returns its libjpeg error manager.
static struct jpeg_error_mgr *sohoa_jerr_init(struct sohoa_jerr *e, char *msg, int msglen) {
	struct jpeg_error_mgr *m = jpeg_std_error(&e->pub);
	m->error_exit = sohoa_jerr_exit;
	m->emit_message = sohoa_jerr_emit;
	e->msg = msg;
	e->msglen = msglen;
	return m;
}

// sohoa_jpeg_encode compresses the packed pixels src (one byte a pixel when gray, else RGBX)
// into a baseline JPEG with optimal Huffman tables, as tjCompress2 would with
// TJFLAG_ACCURATEDCT and the same quality and subsampling (so the same quantised coefficients,
// and the same pixels decoded), into a buffer the caller frees with free(); it returns 0, or
// -1 with the error message copied into msg.
static int sohoa_jpeg_encode(const unsigned char *src, int width, int pitch, int height, int gray,
		int hsamp, int vsamp, int quality, unsigned char **out, unsigned long *size, char *msg, int msglen) {
	struct jpeg_compress_struct cinfo;
	struct sohoa_jerr jerr;
	cinfo.err = sohoa_jerr_init(&jerr, msg, msglen);
	*out = NULL;
	*size = 0;
	jpeg_create_compress(&cinfo);
	if (setjmp(jerr.jb)) {
		jpeg_destroy_compress(&cinfo);
		free(*out);
		*out = NULL;
		return -1;
	}
	jpeg_mem_dest(&cinfo, out, size);
	cinfo.image_width = width;
	cinfo.image_height = height;
	cinfo.input_components = gray ? 1 : 4;
	cinfo.in_color_space = gray ? JCS_GRAYSCALE : JCS_EXT_RGBX;
	jpeg_set_defaults(&cinfo);
	jpeg_set_colorspace(&cinfo, gray ? JCS_GRAYSCALE : JCS_YCbCr);
	jpeg_set_quality(&cinfo, quality, TRUE);
	cinfo.dct_method = JDCT_ISLOW;
	cinfo.optimize_coding = TRUE;
	if (!gray) {
		cinfo.comp_info[0].h_samp_factor = hsamp;
		cinfo.comp_info[0].v_samp_factor = vsamp;
		for (int i = 1; i < 3; i++) {
			cinfo.comp_info[i].h_samp_factor = 1;
			cinfo.comp_info[i].v_samp_factor = 1;
		}
	}
	jpeg_start_compress(&cinfo, TRUE);
	while (cinfo.next_scanline < cinfo.image_height) {
		JSAMPROW row = (JSAMPROW)(src + (size_t)cinfo.next_scanline * pitch);
		jpeg_write_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_compress(&cinfo);
	jpeg_destroy_compress(&cinfo);
	return 0;
}

// sohoa_sq_error decodes the JPEG buf as tjDecompress2 does with TJFLAG_ACCURATEDCT (islow
// inverse transform, smooth chroma upsampling), a band of rows at a time, and adds up the
// squared differences of its samples to ref's: width x height packed rows of one byte a pixel
// (gray, for a one-component JPEG) or four (RGB and one ignored, for a colour JPEG). It returns
// 0, or -1 with the error message copied into msg.
static int sohoa_sq_error(const unsigned char *buf, unsigned long n, const unsigned char *ref,
		int width, int height, int gray, unsigned long long *se, char *msg, int msglen) {
	struct jpeg_decompress_struct cinfo;
	struct sohoa_jerr jerr;
	cinfo.err = sohoa_jerr_init(&jerr, msg, msglen);
	jpeg_create_decompress(&cinfo);
	if (setjmp(jerr.jb)) {
		jpeg_destroy_decompress(&cinfo);
		return -1;
	}
	jpeg_mem_src(&cinfo, buf, n);
	jpeg_read_header(&cinfo, TRUE);
	if ((int)cinfo.image_width != width || (int)cinfo.image_height != height || (cinfo.num_components == 1) != (gray != 0)) {
		snprintf(msg, msglen, "JPEG %ux%u with %d components, reference %dx%d %s", cinfo.image_width,
			cinfo.image_height, cinfo.num_components, width, height, gray ? "gray" : "colour");
		jpeg_destroy_decompress(&cinfo);
		return -1;
	}
	int ps = gray ? 1 : 4;
	cinfo.out_color_space = gray ? JCS_GRAYSCALE : JCS_EXT_RGBX;
	cinfo.dct_method = JDCT_ISLOW;
	jpeg_start_decompress(&cinfo);
	enum { band = 16 };
	JSAMPARRAY rows = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE, (JDIMENSION)width * ps, band);
	unsigned long long acc = 0;
	while (cinfo.output_scanline < cinfo.output_height) {
		size_t y = cinfo.output_scanline;
		JDIMENSION got = jpeg_read_scanlines(&cinfo, rows, band);
		for (JDIMENSION i = 0; i < got; i++) {
			const unsigned char *a = ref + (y + i) * (size_t)width * ps, *b = rows[i];
			unsigned long long row = 0;
			if (gray) {
				for (int x = 0; x < width; x++) {
					int d = a[x] - b[x];
					row += d * d;
				}
			} else {
				for (int x = 0; x < 4 * width; x += 4) {
					int d0 = a[x] - b[x], d1 = a[x + 1] - b[x + 1], d2 = a[x + 2] - b[x + 2];
					row += d0 * d0 + d1 * d1 + d2 * d2;
				}
			}
			acc += row;
		}
	}
	jpeg_finish_decompress(&cinfo);
	jpeg_destroy_decompress(&cinfo);
	*se = acc;
	return 0;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// encodeOptimized writes a baseline JPEG with optimal Huffman tables of the packed pixels pix
// (one byte a pixel when gray, else RGBX), as Encode says.
func encodeOptimized(pix []byte, width, stride, height int, gray bool, sub Subsampling, quality int) ([]byte, error) {
	h, v := 2, 2
	switch sub {
	case S444:
		h, v = 1, 1
	case S422:
		h, v = 2, 1
	}
	var out *C.uchar
	var size C.ulong
	var msg [errLen]C.char
	if C.sohoa_jpeg_encode((*C.uchar)(unsafe.Pointer(&pix[0])), C.int(width), C.int(stride), C.int(height), cBool(gray),
		C.int(h), C.int(v), C.int(quality), &out, &size, &msg[0], errLen) != 0 {
		return nil, fmt.Errorf("turbojpeg: encode: %s", C.GoString(&msg[0]))
	}
	defer C.free(unsafe.Pointer(out))
	return C.GoBytes(unsafe.Pointer(out), C.int(size)), nil
}

// SquaredError decodes a JPEG to the pixels Decode gives and returns the sum of the squared
// differences of its samples to ref's, without holding the decoded image: ref is width x height
// packed rows, one byte a pixel (gray) for a one-component JPEG, four (R, G, B and one
// ignored, as an *image.RGBA's Pix) for a colour one. A JPEG of another size or kind is an
// error, and so is corrupt or truncated data, as for Decode. (Through libjpeg's own API, which
// decodes a band of rows at a time; TurboJPEG 2.1 decodes whole images only.)
func SquaredError(data, ref []byte, width, height int, gray bool) (uint64, error) {
	if len(data) == 0 {
		return 0, errors.New("turbojpeg: empty data")
	}
	ps := 4
	if gray {
		ps = 1
	}
	if width <= 0 || height <= 0 || len(ref) != ps*width*height {
		return 0, fmt.Errorf("turbojpeg: reference of %d bytes for %dx%d pixels of %d bytes", len(ref), width, height, ps)
	}
	var se C.ulonglong
	var msg [errLen]C.char
	if C.sohoa_sq_error((*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)), (*C.uchar)(unsafe.Pointer(&ref[0])),
		C.int(width), C.int(height), cBool(gray), &se, &msg[0], errLen) != 0 {
		return 0, fmt.Errorf("turbojpeg: decode: %s", C.GoString(&msg[0]))
	}
	return uint64(se), nil
}

// cBool is b as a C int: 1 or 0.
func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

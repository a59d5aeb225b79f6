// Package turbojpeg encodes and decodes JPEG images with libjpeg-turbo, through its TurboJPEG
// C API (Debian's libturbojpeg0-dev, version 2.1 on Debian 12: the TurboJPEG 2.x functions),
// and compares a JPEG's decoded pixels with a reference a band of rows at a time through
// libjpeg's own API (libjpeg62-turbo-dev, the same libjpeg-turbo), which TurboJPEG 2.1 lacks.
//
// libjpeg-turbo encodes several times faster than Go's image/jpeg and, in progressive mode,
// writes optimal Huffman tables (its progressive mode always computes them; the 2.x API has no
// per-call switch for optimal tables in baseline mode, only a process-wide environment
// variable, which this package does not use). Every call allocates its own TurboJPEG (or
// libjpeg) instance and frees it, and everything the library allocated, before it returns: the
// package holds no state and is safe for concurrent use.
package turbojpeg

/*
#cgo LDFLAGS: -lturbojpeg
#include <stdio.h>
#include <turbojpeg.h>

// sohoa_tj_encode compresses the packed pixels src into a JPEG that the caller frees with
// tjFree, and returns 0, or returns -1 with the error message copied into msg.
static int sohoa_tj_encode(const unsigned char *src, int width, int pitch, int height, int pf,
		int subsamp, int quality, int flags, unsigned char **out, unsigned long *size,
		char *msg, int msglen) {
	tjhandle h = tjInitCompress();
	if (h == NULL) {
		snprintf(msg, msglen, "%s", tjGetErrorStr2(NULL));
		return -1;
	}
	*out = NULL;
	*size = 0;
	int rc = tjCompress2(h, src, width, pitch, height, pf, out, size, subsamp, quality, flags);
	if (rc != 0) {
		snprintf(msg, msglen, "%s", tjGetErrorStr2(h));
		tjFree(*out);
		*out = NULL;
	}
	tjDestroy(h);
	return rc;
}

// sohoa_tj_header reads the size, subsampling and colour space of a JPEG, or returns -1 with
// the error message copied into msg.
static int sohoa_tj_header(const unsigned char *buf, unsigned long n, int *w, int *hgt,
		int *subsamp, int *cs, char *msg, int msglen) {
	tjhandle h = tjInitDecompress();
	if (h == NULL) {
		snprintf(msg, msglen, "%s", tjGetErrorStr2(NULL));
		return -1;
	}
	int rc = tjDecompressHeader3(h, buf, n, w, hgt, subsamp, cs);
	if (rc != 0) snprintf(msg, msglen, "%s", tjGetErrorStr2(h));
	tjDestroy(h);
	return rc;
}

// sohoa_tj_decode decompresses a JPEG into dst (width*pixel size bytes a row), or returns -1
// with the error message copied into msg. A warning (corrupt or truncated data) is an error.
static int sohoa_tj_decode(const unsigned char *buf, unsigned long n, unsigned char *dst,
		int width, int pitch, int height, int pf, int flags, char *msg, int msglen) {
	tjhandle h = tjInitDecompress();
	if (h == NULL) {
		snprintf(msg, msglen, "%s", tjGetErrorStr2(NULL));
		return -1;
	}
	int rc = tjDecompress2(h, buf, n, dst, width, pitch, height, pf, flags);
	if (rc != 0) snprintf(msg, msglen, "%s", tjGetErrorStr2(h));
	tjDestroy(h);
	return rc;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"unsafe"
)

// Subsampling is the chroma subsampling of a colour JPEG.
type Subsampling int

const (
	// S420 keeps one chroma sample for each 2x2 pixels (what image/jpeg writes).
	S420 Subsampling = iota
	// S444 keeps every chroma sample.
	S444
	// S422 keeps one chroma sample for each 2x1 pixels.
	S422
)

// String returns the usual name, such as "4:2:0".
func (s Subsampling) String() string {
	switch s {
	case S420:
		return "4:2:0"
	case S444:
		return "4:4:4"
	case S422:
		return "4:2:2"
	}
	return fmt.Sprintf("Subsampling(%d)", int(s))
}

func (s Subsampling) tj() (C.int, error) {
	switch s {
	case S420:
		return C.TJSAMP_420, nil
	case S444:
		return C.TJSAMP_444, nil
	case S422:
		return C.TJSAMP_422, nil
	}
	return 0, fmt.Errorf("unknown subsampling %d", int(s))
}

// Options controls Encode.
type Options struct {
	Quality int // 1..100
	// Subsampling is the chroma subsampling of colour images; gray images have one component.
	Subsampling Subsampling
	// Progressive writes a progressive JPEG, with optimal Huffman tables; else baseline with
	// the standard tables, or with optimal ones if Optimize is set. All decode to the same pixels
	// at the same quality.
	Progressive bool
	// Optimize writes a baseline JPEG with optimal Huffman tables, through libjpeg's own API
	// (TurboJPEG 2.1 has no per-call switch for it): on the pages of testdata/samples 5% larger
	// than progressive and a third of its CPU time. Progressive JPEGs always have optimal tables.
	Optimize bool
}

// errLen is the size of the buffer that receives TurboJPEG's error messages.
const errLen = 200

// Encode compresses img: an *image.Gray as a one-component (gray) JPEG, anything else as a
// three-component YCbCr JPEG (colour stays colour, even when every pixel is gray). The
// transform is accurate (integer islow DCT), never the fast approximate one.
func Encode(img image.Image, opts Options) ([]byte, error) {
	if opts.Quality < 1 || opts.Quality > 100 {
		return nil, fmt.Errorf("turbojpeg: quality %d out of range 1..100", opts.Quality)
	}
	if img == nil {
		return nil, errors.New("turbojpeg: nil image")
	}
	b := img.Bounds()
	if b.Empty() {
		return nil, errors.New("turbojpeg: empty image")
	}
	subsamp, err := opts.Subsampling.tj()
	if err != nil {
		return nil, fmt.Errorf("turbojpeg: %w", err)
	}
	var pix []byte
	var stride int
	pf := C.int(C.TJPF_RGBX)
	switch m := img.(type) {
	case *image.Gray:
		pix, stride, pf, subsamp = m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride, C.TJPF_GRAY, C.TJSAMP_GRAY
	case *image.RGBA:
		pix, stride = m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride
	case *image.NRGBA:
		if !m.Opaque() {
			return nil, errors.New("turbojpeg: image with transparent pixels")
		}
		pix, stride = m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride
	default:
		rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(rgba, rgba.Rect, img, b.Min, draw.Src)
		pix, stride = rgba.Pix, rgba.Stride
	}
	if opts.Optimize && !opts.Progressive {
		return encodeOptimized(pix, b.Dx(), stride, b.Dy(), pf == C.TJPF_GRAY, opts.Subsampling, opts.Quality)
	}
	flags := C.int(C.TJFLAG_ACCURATEDCT)
	if opts.Progressive {
		flags |= C.TJFLAG_PROGRESSIVE
	}
	var out *C.uchar
	var size C.ulong
	var msg [errLen]C.char
	rc := C.sohoa_tj_encode((*C.uchar)(unsafe.Pointer(&pix[0])), C.int(b.Dx()), C.int(stride), C.int(b.Dy()), pf,
		subsamp, C.int(opts.Quality), flags, &out, &size, &msg[0], errLen)
	if rc != 0 {
		return nil, fmt.Errorf("turbojpeg: encode: %s", C.GoString(&msg[0]))
	}
	defer C.tjFree(out)
	return C.GoBytes(unsafe.Pointer(out), C.int(size)), nil
}

// Config is what a JPEG's header says.
type Config struct {
	Width, Height int
	Gray          bool // one component, else colour (YCbCr or RGB)
}

// DecodeConfig reads the header of a JPEG. CMYK and YCCK JPEGs are refused.
func DecodeConfig(data []byte) (Config, error) {
	if len(data) == 0 {
		return Config{}, errors.New("turbojpeg: empty data")
	}
	var w, h, subsamp, cs C.int
	var msg [errLen]C.char
	if C.sohoa_tj_header((*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)), &w, &h, &subsamp, &cs, &msg[0], errLen) != 0 {
		return Config{}, fmt.Errorf("turbojpeg: header: %s", C.GoString(&msg[0]))
	}
	switch cs {
	case C.TJCS_GRAY, C.TJCS_YCbCr, C.TJCS_RGB:
	default:
		return Config{}, errors.New("turbojpeg: CMYK/YCCK JPEG is not supported")
	}
	if w <= 0 || h <= 0 {
		return Config{}, fmt.Errorf("turbojpeg: bad size %dx%d", w, h)
	}
	return Config{Width: int(w), Height: int(h), Gray: cs == C.TJCS_GRAY}, nil
}

// Decode decompresses a JPEG into an *image.Gray (one component) or an *image.RGBA (colour),
// with libjpeg's accurate inverse transform and smooth chroma upsampling, as poppler renders
// a JPEG in a PDF. Corrupt or truncated data is an error, even where libjpeg would only warn.
func Decode(data []byte) (image.Image, error) {
	cfg, err := DecodeConfig(data)
	if err != nil {
		return nil, err
	}
	r := image.Rect(0, 0, cfg.Width, cfg.Height)
	var img image.Image
	var pix []byte
	var stride int
	pf := C.int(C.TJPF_RGBA)
	if cfg.Gray {
		g := image.NewGray(r)
		img, pix, stride, pf = g, g.Pix, g.Stride, C.TJPF_GRAY
	} else {
		m := image.NewRGBA(r)
		img, pix, stride = m, m.Pix, m.Stride
	}
	var msg [errLen]C.char
	if C.sohoa_tj_decode((*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)), (*C.uchar)(unsafe.Pointer(&pix[0])),
		C.int(cfg.Width), C.int(stride), C.int(cfg.Height), pf, C.TJFLAG_ACCURATEDCT, &msg[0], errLen) != 0 {
		return nil, fmt.Errorf("turbojpeg: decode: %s", C.GoString(&msg[0]))
	}
	return img, nil
}

package normalize

/*
#cgo LDFLAGS: -lturbojpeg
#include <turbojpeg.h>

// sohoa_ycbcr_rgba converts Y, Cb and Cr planes to RGBA pixels (alpha 255) with libjpeg-turbo,
// the chroma replicated to the pixels it covers (no smoothing), as image/jpeg's YCbCr does.
// It returns 0 on success.
static int sohoa_ycbcr_rgba(const unsigned char *y, const unsigned char *cb, const unsigned char *cr,
		int ystride, int cstride, int subsamp, unsigned char *dst, int w, int pitch, int h) {
	tjhandle t = tjInitDecompress();
	if (t == NULL) return -1;
	const unsigned char *planes[3] = {y, cb, cr};
	int strides[3] = {ystride, cstride, cstride};
	int rc = tjDecodeYUVPlanes(t, planes, strides, subsamp, dst, w, pitch, h, TJPF_RGBA,
		TJFLAG_FASTUPSAMPLE);
	tjDestroy(t);
	return rc;
}
*/
import "C"

import (
	"image"
	"unsafe"
)

// tjSubsampling is libjpeg-turbo's name for the chroma subsamplings it converts.
var tjSubsampling = map[image.YCbCrSubsampleRatio]C.int{
	image.YCbCrSubsampleRatio444: C.TJSAMP_444,
	image.YCbCrSubsampleRatio422: C.TJSAMP_422,
	image.YCbCrSubsampleRatio420: C.TJSAMP_420,
	image.YCbCrSubsampleRatio440: C.TJSAMP_440,
	image.YCbCrSubsampleRatio411: C.TJSAMP_411,
}

// ycbcrToNRGBA converts m, a page as decoded from a JPEG, to opaque NRGBA pixels with
// libjpeg-turbo's SIMD colour conversion, several times faster than image/draw's; the two
// round differently by a level at most. The pixels go into buf when it is large enough. It
// reports false, converting nothing, for planes laid out otherwise than libjpeg-turbo reads them.
func ycbcrToNRGBA(m *image.YCbCr, buf []uint8) (*image.NRGBA, bool) {
	samp, ok := tjSubsampling[m.SubsampleRatio]
	w, h := m.Rect.Dx(), m.Rect.Dy()
	if !ok || m.Rect.Min != (image.Point{}) || w == 0 || h == 0 {
		return nil, false
	}
	// libjpeg-turbo reads whole chroma samples: planes padded to them.
	yw, yh := int(C.tjPlaneWidth(0, C.int(w), samp)), int(C.tjPlaneHeight(0, C.int(h), samp))
	cw, ch := int(C.tjPlaneWidth(1, C.int(w), samp)), int(C.tjPlaneHeight(1, C.int(h), samp))
	if m.YStride < yw || m.CStride < cw || len(m.Y) < m.YStride*(yh-1)+yw ||
		len(m.Cb) < m.CStride*(ch-1)+cw || len(m.Cr) < m.CStride*(ch-1)+cw {
		return nil, false
	}
	if cap(buf) < 4*w*h {
		buf = make([]uint8, 4*w*h)
	}
	dst := &image.NRGBA{Pix: buf[:4*w*h], Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
	if C.sohoa_ycbcr_rgba((*C.uchar)(unsafe.Pointer(&m.Y[0])), (*C.uchar)(unsafe.Pointer(&m.Cb[0])),
		(*C.uchar)(unsafe.Pointer(&m.Cr[0])), C.int(m.YStride), C.int(m.CStride), samp,
		(*C.uchar)(unsafe.Pointer(&dst.Pix[0])), C.int(w), C.int(dst.Stride), C.int(h)) != 0 {
		return nil, false
	}
	return dst, true
}

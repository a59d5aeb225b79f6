package scan

/*
#cgo LDFLAGS: -lturbojpeg
#include <turbojpeg.h>

// sohoa_scan_header reads a JPEG's size, subsampling and colour space. It returns 0 on success.
static int sohoa_scan_header(const unsigned char *buf, unsigned long n, int *w, int *h,
		int *subsamp, int *cs) {
	tjhandle t = tjInitDecompress();
	if (t == NULL) return -1;
	int rc = tjDecompressHeader3(t, buf, n, w, h, subsamp, cs);
	tjDestroy(t);
	return rc;
}

// sohoa_scan_planes decodes a JPEG into its Y, Cb and Cr planes (only Y for a gray JPEG) as
// stored, without upsampling the chroma or converting colours. A warning (corrupt or
// truncated data) is an error. It returns 0 on success.
static int sohoa_scan_planes(const unsigned char *buf, unsigned long n, unsigned char *y,
		unsigned char *cb, unsigned char *cr, int w, int ystride, int cstride, int h) {
	tjhandle t = tjInitDecompress();
	if (t == NULL) return -1;
	unsigned char *planes[3] = {y, cb, cr};
	int strides[3] = {ystride, cstride, cstride};
	int rc = tjDecompressToYUVPlanes(t, buf, n, planes, w, strides, h,
		TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING);
	if (rc == 0 && tjGetErrorCode(t) == TJERR_WARNING) rc = -1;
	tjDestroy(t);
	return rc;
}
*/
import "C"

import (
	"errors"
	"image"
	"unsafe"
)

// errTurbo is any failure of libjpeg-turbo: the JPEG is then decoded by image/jpeg, whose
// errors name what is wrong.
var errTurbo = errors.New("libjpeg-turbo cannot decode the JPEG as planes")

// turboRatios are the chroma subsamplings libjpeg-turbo reports (TJSAMP_*, in its order) as
// image.YCbCr holds them. TJSAMP_GRAY (3) is decoded as *image.Gray.
var turboRatios = map[C.int]image.YCbCrSubsampleRatio{
	C.TJSAMP_444: image.YCbCrSubsampleRatio444,
	C.TJSAMP_422: image.YCbCrSubsampleRatio422,
	C.TJSAMP_420: image.YCbCrSubsampleRatio420,
	C.TJSAMP_440: image.YCbCrSubsampleRatio440,
	C.TJSAMP_411: image.YCbCrSubsampleRatio411,
}

// decodeJPEGPlanes decodes a baseline or progressive YCbCr or gray JPEG with libjpeg-turbo
// into the image image/jpeg would give: an *image.YCbCr holding the planes as stored (the
// chroma is neither upsampled nor converted here, so colours come out as Go converts them),
// or an *image.Gray. libjpeg-turbo's accurate integer inverse transform differs from
// image/jpeg's by at most a level or two on a few pixels. Any other JPEG (CMYK, YCCK, RGB
// without transform, unusual sampling) and any error or warning give errTurbo.
func decodeJPEGPlanes(data []byte) (image.Image, error) {
	if len(data) == 0 {
		return nil, errTurbo
	}
	buf := (*C.uchar)(unsafe.Pointer(&data[0]))
	var w, h, samp, cs C.int
	if C.sohoa_scan_header(buf, C.ulong(len(data)), &w, &h, &samp, &cs) != 0 {
		return nil, errTurbo
	}
	if w <= 0 || h <= 0 || checkSize(int(w), int(h)) != nil {
		return nil, errTurbo
	}
	r := image.Rect(0, 0, int(w), int(h))
	if samp == C.TJSAMP_GRAY && cs == C.TJCS_GRAY {
		g := image.NewGray(r)
		if C.sohoa_scan_planes(buf, C.ulong(len(data)), (*C.uchar)(unsafe.Pointer(&g.Pix[0])), nil, nil,
			w, C.int(g.Stride), 0, h) != 0 {
			return nil, errTurbo
		}
		return g, nil
	}
	ratio, ok := turboRatios[samp]
	if !ok || cs != C.TJCS_YCbCr {
		return nil, errTurbo
	}
	// libjpeg-turbo's planes are padded to whole chroma samples (a Y plane of even width and
	// height for 4:2:0): image.YCbCr takes them with their strides.
	yw, yh := int(C.tjPlaneWidth(0, w, samp)), int(C.tjPlaneHeight(0, h, samp))
	cw, ch := int(C.tjPlaneWidth(1, w, samp)), int(C.tjPlaneHeight(1, h, samp))
	if yw < int(w) || yh < int(h) || cw <= 0 || ch <= 0 {
		return nil, errTurbo
	}
	pix := make([]uint8, yw*yh+2*cw*ch)
	m := &image.YCbCr{
		Y: pix[: yw*yh : yw*yh], Cb: pix[yw*yh : yw*yh+cw*ch : yw*yh+cw*ch], Cr: pix[yw*yh+cw*ch:],
		YStride: yw, CStride: cw, SubsampleRatio: ratio, Rect: r,
	}
	if C.sohoa_scan_planes(buf, C.ulong(len(data)), (*C.uchar)(unsafe.Pointer(&m.Y[0])),
		(*C.uchar)(unsafe.Pointer(&m.Cb[0])), (*C.uchar)(unsafe.Pointer(&m.Cr[0])),
		w, C.int(m.YStride), C.int(m.CStride), h) != 0 {
		return nil, errTurbo
	}
	return m, nil
}

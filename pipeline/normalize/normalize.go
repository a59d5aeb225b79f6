// Package normalize turns a scanned page upright and straight and crops scanner borders.
//
// Gray pages (*image.Gray, *image.Gray16 and any image with a gray colour
// model) come back as *image.Gray; colour pages come back as *image.NRGBA.
// Images returned by the functions of this package, other than the input
// itself, have their origin at (0, 0).
package normalize

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"slices"
	"sync"

	"github.com/disintegration/imaging"
)

// MinSkew is the smallest skew, in degrees, that Deskew corrects: below it
// the page is left as it is.
const MinSkew = 0.05

// Rotate turns img clockwise by the given quarter turns (degrees 0, 90, 180, 270): the fix for a page whose content is turned
// counter-clockwise by that much. Other values are an error.
// For 0 it returns img itself.
func Rotate(img image.Image, degrees int) (image.Image, error) {
	switch degrees {
	case 0:
		return img, nil
	case 90, 180, 270:
	default:
		return nil, fmt.Errorf("normalize: rotate by %d degrees: only 0, 90, 180 and 270 are quarter turns", degrees)
	}
	if g, ok := asGray(img); ok {
		return rotateGray(g, degrees), nil
	}
	switch degrees {
	case 90:
		return imaging.Rotate270(img), nil // imaging turns counter-clockwise
	case 180:
		return imaging.Rotate180(img), nil
	default:
		return imaging.Rotate90(img), nil
	}
}

// rotateGray turns g clockwise by 90, 180 or 270 degrees.
func rotateGray(g *image.Gray, degrees int) *image.Gray {
	b := g.Bounds()
	w, h := b.Dx(), b.Dy()
	if degrees == 180 {
		dst := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			src := g.Pix[(y)*g.Stride : y*g.Stride+w]
			row := dst.Pix[(h-1-y)*dst.Stride:]
			for x, v := range src {
				row[w-1-x] = v
			}
		}
		return dst
	}
	dst := image.NewGray(image.Rect(0, 0, h, w))
	// Work in tiles so that both the reads and the scattered writes stay in
	// the cache.
	const tile = 64
	for y0 := 0; y0 < h; y0 += tile {
		y1 := min(y0+tile, h)
		for x0 := 0; x0 < w; x0 += tile {
			x1 := min(x0+tile, w)
			for y := y0; y < y1; y++ {
				src := g.Pix[y*g.Stride:]
				if degrees == 90 {
					// Source (x, y) goes to (h-1-y, x).
					dx := h - 1 - y
					for x := x0; x < x1; x++ {
						dst.Pix[x*dst.Stride+dx] = src[x]
					}
				} else {
					// Source (x, y) goes to (y, w-1-x).
					for x := x0; x < x1; x++ {
						dst.Pix[(w-1-x)*dst.Stride+y] = src[x]
					}
				}
			}
		}
	}
	return dst
}

// Deskew rotates img by -skewDeg degrees (skew is counter-clockwise positive) about its centre, filling uncovered corners with
// the page's background colour (estimate it from the border, e.g. a high percentile of brightness; white if unsure). Returns img
// itself when |skewDeg| < 0.05. Keep the colour model (gray stays *image.Gray, colour stays colour) and the output size
// reasonable (the same size as the input is fine, as long as no text is cut off: pages have margins).
//
// The result has the size of img: the corners of the page turn out of it,
// which only cuts margins for the small angles of real skew. The turn is done
// here rather than with imaging.Rotate, which is over twice as slow on an A4
// page and turns onto a larger canvas whose centre can be half a pixel off.
func Deskew(img image.Image, skewDeg float64) image.Image {
	if !(math.Abs(skewDeg) >= MinSkew) || math.IsInf(skewDeg, 0) { // also NaN
		return img
	}
	m, _ := Turn(img, 0, skewDeg)
	return m
}

// Turn turns img clockwise by the quarter turns degrees (0, 90, 180 or 270, as Rotate) and
// then deskews it by skewDeg (as Deskew), in one resampling: the result is that of
// Deskew(Rotate(img, degrees), skewDeg) without the intermediate image. A skew under MinSkew
// is a quarter turn alone (Rotate, which copies pixels); Turn(img, 0, 0) returns img itself.
func Turn(img image.Image, degrees int, skewDeg float64) (image.Image, error) {
	if !(math.Abs(skewDeg) >= MinSkew) || math.IsInf(skewDeg, 0) { // also NaN
		return Rotate(img, degrees)
	}
	switch degrees {
	case 0, 90, 180, 270:
	default:
		return nil, fmt.Errorf("normalize: turn by %d degrees: only 0, 90, 180 and 270 are quarter turns", degrees)
	}
	b := img.Bounds()
	size := image.Rect(0, 0, b.Dx(), b.Dy())
	if degrees%180 != 0 {
		size = image.Rect(0, 0, b.Dy(), b.Dx())
	}
	if g, ok := asGray(img); ok {
		if degrees%180 != 0 {
			// Turned first: reading a gray page along its columns costs more than the copy.
			g, degrees = rotateGray(g, degrees), 0
		}
		bg := background(quarterView{g, degrees}).(color.Gray)
		dst := image.NewGray(size)
		deskew(dst.Pix, dst.Stride, src{g.Pix, g.Stride, g.Rect.Dx(), g.Rect.Dy(), false}, 1, []uint8{bg.Y}, degrees, skewDeg)
		return dst, nil
	}
	var s *image.NRGBA
	opaque := false
	if m, ok := img.(*image.YCbCr); ok {
		opaque = true
		// The colour copy of a JPEG page is resampled and dropped: its pixels are kept
		// for the next page rather than allocated (and cleared) afresh.
		buf := turnBuffers.Get().(*[]uint8)
		defer turnBuffers.Put(buf)
		s = ycbcrToNRGBA(m, *buf)
		*buf = s.Pix
	} else {
		s = toNRGBA(img)
	}
	// The paper's colour is that of the page as Deskew(Rotate(img, degrees)) sees it.
	var bg color.NRGBA
	if degrees == 0 {
		bg = background(img).(color.NRGBA)
	} else {
		bg = background(quarterView{s, degrees}).(color.NRGBA)
	}
	dst := image.NewNRGBA(size)
	deskew(dst.Pix, dst.Stride, src{s.Pix, s.Stride, s.Rect.Dx(), s.Rect.Dy(), opaque && bg.A == 0xff}, 4, []uint8{bg.R, bg.G, bg.B, bg.A}, degrees, skewDeg)
	return dst, nil
}

// turnBuffers holds the pixels of colour copies Turn made and dropped.
var turnBuffers = sync.Pool{New: func() any { return new([]uint8) }}

// ycbcrToNRGBA converts m to opaque NRGBA pixels in buf when it is large enough, with
// image/draw (the conversion of imaging and image/color, one pass).
func ycbcrToNRGBA(m *image.YCbCr, buf []uint8) *image.NRGBA {
	r := image.Rect(0, 0, m.Rect.Dx(), m.Rect.Dy())
	n := 4 * r.Dx() * r.Dy()
	if cap(buf) < n {
		buf = make([]uint8, n)
	}
	dst := &image.RGBA{Pix: buf[:n], Stride: 4 * r.Dx(), Rect: r}
	if m.SubsampleRatio == image.YCbCrSubsampleRatio420 && m.Rect.Min == (image.Point{}) {
		ycbcr420ToRGBA(dst, m)
	} else {
		draw.Draw(dst, r, m, m.Rect.Min, draw.Src)
	}
	return &image.NRGBA{Pix: dst.Pix, Stride: dst.Stride, Rect: r} // opaque: the same bytes
}

// ycbcr420ToRGBA converts m, 4:2:0 with its origin at (0, 0), into dst of its size with
// color.YCbCrToRGB's arithmetic, each chroma sample's terms computed once for its four pixels.
func ycbcr420ToRGBA(dst *image.RGBA, m *image.YCbCr) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	// clamp is color.YCbCrToRGB's rounding of a 16.16 value to 0..255.
	clamp := func(v int32) uint8 {
		if uint32(v)&0xff000000 == 0 {
			return uint8(v >> 16)
		}
		return uint8(^(v >> 31))
	}
	for y := range h {
		yrow := m.Y[y*m.YStride : y*m.YStride+w]
		cb := m.Cb[(y/2)*m.CStride:]
		cr := m.Cr[(y/2)*m.CStride:]
		out := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		for x := 0; x < w; x += 2 {
			cb1, cr1 := int32(cb[x/2])-128, int32(cr[x/2])-128
			dr, dg, db := 91881*cr1, -22554*cb1-46802*cr1, 116130*cb1
			for i := x; i < min(x+2, w); i++ {
				yy := int32(yrow[i]) * 0x10101
				px := out[4*i : 4*i+4 : 4*i+4]
				px[0], px[1], px[2], px[3] = clamp(yy+dr), clamp(yy+dg), clamp(yy+db), 0xff
			}
		}
	}
}

// quarterView is img turned clockwise by q (0, 90, 180 or 270) degrees, as Rotate turns it,
// without copying its pixels.
type quarterView struct {
	img image.Image
	q   int
}

func (v quarterView) ColorModel() color.Model { return v.img.ColorModel() }

func (v quarterView) Bounds() image.Rectangle {
	b := v.img.Bounds()
	if v.q%180 != 0 {
		return image.Rect(0, 0, b.Dy(), b.Dx())
	}
	return image.Rect(0, 0, b.Dx(), b.Dy())
}

func (v quarterView) At(u, w int) color.Color {
	b := v.img.Bounds()
	x, y := quarterSource(v.q, u, w, b.Dx(), b.Dy())
	return v.img.At(b.Min.X+x, b.Min.Y+y)
}

// quarterSource returns the pixel of a w×h image that the quarter turn q takes to (u, v).
func quarterSource(q, u, v, w, h int) (x, y int) {
	switch q {
	case 90:
		return v, h - 1 - u
	case 180:
		return w - 1 - u, h - 1 - v
	case 270:
		return w - 1 - v, u
	}
	return u, v
}

// src is the w×h source image of deskew, its rows stride bytes apart.
type src struct {
	pix          []uint8
	stride, w, h int
	// opaque says that the fourth byte of every pixel is 255 (an opaque NRGBA image):
	// deskew then writes 255 there rather than interpolating it.
	opaque bool
}

// deskewTile is the side, in pixels, of the square tiles in which deskew fills dst, so that
// a quarter turn, which reads the source along its columns, stays in the cache.
const deskewTile = 64

// deskew turns the image s clockwise by the quarter turns q (0, 90, 180 or 270) and then by
// deg degrees about its centre, with bilinear interpolation, into dst (s's size, its sides
// swapped for 90 and 270), filling the uncovered corners with bg. Pixels have n bytes (1 or
// 4), of which bg has the fill values.
//
// It computes what turning s into a new image and deskewing that would, to the bit: the
// positions and weights are those of the turned image R, whose pixel (u, v) it reads where
// the turn took it from, at o + u·dx + v·dy in s.pix.
func deskew(dst []uint8, dstStride int, s src, n int, bg []uint8, q int, deg float64) {
	sin, cos := math.Sincos(deg * math.Pi / 180)
	w, h := s.w, s.h // of R
	if q%180 != 0 {
		w, h = h, w
	}
	S, N := int64(s.stride), int64(n)
	var o, dx, dy int64
	switch q {
	case 0:
		o, dx, dy = 0, N, S
	case 90: // R(u, v) = s(v, h-1-u)
		o, dx, dy = int64(s.h-1)*S, -S, N
	case 180: // R(u, v) = s(w-1-u, h-1-v)
		o, dx, dy = int64(s.h-1)*S+int64(s.w-1)*N, -N, -S
	case 270: // R(u, v) = s(w-1-v, u)
		o, dx, dy = int64(s.w-1)*N, S, -N
	}
	cx, cy := float64(w-1)/2, float64(h-1)/2
	// The output pixel (x, y) takes the point R(-deg)·(x-cx, y-cy) + c of R:
	// sx = cos·(x-cx) + sin·(y-cy) + cx, sy = -sin·(x-cx) + cos·(y-cy) + cy.
	// Coordinates are 16.16 fixed point, stepped along each row; the
	// interpolation weights have 8 bits.
	const one = 1 << 16
	stepX, stepY := int64(math.Round(cos*one)), int64(math.Round(-sin*one))
	w64, h64 := int64(w), int64(h)
	pix := s.pix
	// at returns the sample c of pixel (x, y) of R, bg outside it.
	at := func(x, y int64, c int) int64 {
		if x < 0 || y < 0 || x >= w64 || y >= h64 {
			return int64(bg[c])
		}
		return int64(pix[o+x*dx+y*dy+int64(c)])
	}
	for ty := 0; ty < h; ty += deskewTile {
		for tx := 0; tx < w; tx += deskewTile {
			for y := ty; y < min(ty+deskewTile, h); y++ {
				fy := float64(y) - cy
				sx := int64(math.Round((-cx*cos+fy*sin+cx)*one)) + int64(tx)*stepX
				sy := int64(math.Round((cx*sin+fy*cos+cy)*one)) + int64(tx)*stepY
				row := dst[y*dstStride+tx*n : y*dstStride+min(tx+deskewTile, w)*n]
				for x := 0; x < len(row); x += n {
					ix, iy := sx>>16, sy>>16
					fx, fy := (sx>>8)&0xff, (sy>>8)&0xff
					switch {
					case ix >= 0 && iy >= 0 && ix < w64-1 && iy < h64-1:
						i := o + ix*dx + iy*dy
						switch {
						case q == 0 && n == 1: // the same sums, written out (twice as fast)
							p0, p1 := pix[i:i+2:i+2], pix[i+S:i+S+2:i+S+2]
							row[x] = lerp2(p0[0], p0[1], p1[0], p1[1], fx, fy)
						case q == 0 && n == 4:
							px, p0, p1 := row[x:x+4:x+4], pix[i:i+8:i+8], pix[i+S:i+S+8:i+S+8]
							px[0] = lerp2(p0[0], p0[4], p1[0], p1[4], fx, fy)
							px[1] = lerp2(p0[1], p0[5], p1[1], p1[5], fx, fy)
							px[2] = lerp2(p0[2], p0[6], p1[2], p1[6], fx, fy)
							if s.opaque {
								px[3] = 0xff // what lerp2 gives for four 255s
							} else {
								px[3] = lerp2(p0[3], p0[7], p1[3], p1[7], fx, fy)
							}
						case n == 1: // R's neighbours are elsewhere in s
							row[x] = lerp2(pix[i], pix[i+dx], pix[i+dy], pix[i+dx+dy], fx, fy)
						case n == 4:
							px := row[x : x+4 : x+4]
							p00, p01 := pix[i:i+4:i+4], pix[i+dx:i+dx+4:i+dx+4]
							p10, p11 := pix[i+dy:i+dy+4:i+dy+4], pix[i+dx+dy:i+dx+dy+4:i+dx+dy+4]
							px[0] = lerp2(p00[0], p01[0], p10[0], p11[0], fx, fy)
							px[1] = lerp2(p00[1], p01[1], p10[1], p11[1], fx, fy)
							px[2] = lerp2(p00[2], p01[2], p10[2], p11[2], fx, fy)
							if s.opaque {
								px[3] = 0xff
							} else {
								px[3] = lerp2(p00[3], p01[3], p10[3], p11[3], fx, fy)
							}
						default:
							for c := range int64(n) {
								row[x+int(c)] = lerp2(pix[i+c], pix[i+dx+c], pix[i+dy+c], pix[i+dx+dy+c], fx, fy)
							}
						}
					case ix < -1 || iy < -1 || ix >= w64 || iy >= h64:
						copy(row[x:x+n], bg)
					default: // on the edge: interpolate with the background
						for c := range n {
							p00, p01 := at(ix, iy, c), at(ix+1, iy, c)
							p10, p11 := at(ix, iy+1, c), at(ix+1, iy+1, c)
							top := p00<<8 + (p01-p00)*fx
							bot := p10<<8 + (p11-p10)*fx
							row[x+c] = uint8((top<<8 + (bot-top)*fy + 1<<15) >> 16)
						}
					}
					sx += stepX
					sy += stepY
				}
			}
		}
	}
}

// lerp2 interpolates bilinearly between the samples p00, p01 (one row) and p10, p11 (the next
// row) with 8-bit weights fx along the row and fy across, rounding to nearest.
func lerp2(p00, p01, p10, p11 uint8, fx, fy int64) uint8 {
	top := int64(p00)<<8 + (int64(p01)-int64(p00))*fx
	bot := int64(p10)<<8 + (int64(p11)-int64(p10))*fx
	return uint8((top<<8 + (bot-top)*fy + 1<<15) >> 16)
}

// toNRGBA returns img as an *image.NRGBA with its origin at (0, 0), itself
// when it already is one, sharing the pixels of an opaque *image.RGBA.
func toNRGBA(img image.Image) *image.NRGBA {
	switch m := img.(type) {
	case *image.NRGBA:
		if m.Rect.Min == (image.Point{}) {
			return m
		}
	case *image.RGBA:
		if m.Rect.Min == (image.Point{}) && m.Opaque() {
			return &image.NRGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}
		}
	case *image.YCbCr:
		return ycbcrToNRGBA(m, nil)
	}
	return imaging.Clone(img)
}

// background estimates the colour of the paper from a band along the edges
// of img: the mean of the brightest quarter of the sampled pixels. It is a
// color.Gray for gray images and a color.NRGBA otherwise; white when img is
// empty.
func background(img image.Image) color.Color {
	b := img.Bounds()
	gray := isGray(img)
	white := color.Color(color.NRGBA{255, 255, 255, 255})
	if gray {
		white = color.Gray{255}
	}
	if b.Empty() {
		return white
	}
	band := max(1, min(b.Dx(), b.Dy())/50)
	// About 4000 samples whatever the size of the page.
	step := max(1, 2*(b.Dx()+b.Dy())*band/4000)
	type sample struct{ lum, r, g, b uint32 }
	var samples []sample
	add := func(x, y int) {
		r, g, bl, _ := img.At(x, y).RGBA()
		samples = append(samples, sample{(19595*r + 38470*g + 7471*bl + 1<<15) >> 24, r >> 8, g >> 8, bl >> 8})
	}
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if x == b.Min.X+band && y >= b.Min.Y+band && y < b.Max.Y-band {
				x = b.Max.X - band // skip the inside
			}
			if i%step == 0 {
				add(x, y)
			}
			i++
		}
	}
	slices.SortFunc(samples, func(a, b sample) int { return int(a.lum) - int(b.lum) })
	top := samples[len(samples)*3/4:]
	var r, g, bl, l uint32
	for _, s := range top {
		r, g, bl, l = r+s.r, g+s.g, bl+s.b, l+s.lum
	}
	n := uint32(len(top))
	if gray {
		return color.Gray{uint8((l + n/2) / n)}
	}
	return color.NRGBA{uint8((r + n/2) / n), uint8((g + n/2) / n), uint8((bl + n/2) / n), 255}
}

// CropBorders removes dark scanner borders (rows/columns along the edges that are mostly dark, e.g. >50% of pixels below a
// threshold) and returns the crop rectangle it applied (img.Bounds() when nothing was cropped). Never crops into the page content:
// a page with no dark border is returned unchanged.
//
// A row or column is border when more than half of its pixels are darker
// than DarkLevel. Should the borders leave less than half the width or height
// of the page, img is taken for a dark picture rather than a bordered page
// and returned unchanged.
func CropBorders(img image.Image) (image.Image, image.Rectangle) {
	b := img.Bounds()
	if b.Empty() {
		return img, b
	}
	isDark := darkTest(img)
	w, h := b.Dx(), b.Dy()
	// r is the kept area, in coordinates relative to b.Min.
	r := image.Rect(0, 0, w, h)
	rowDark := func(y int) bool {
		n := 0
		for x := r.Min.X; x < r.Max.X; x++ {
			if isDark(x, y) {
				n++
			}
		}
		return 2*n > r.Dx()
	}
	colDark := func(x int) bool {
		n := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			if isDark(x, y) {
				n++
			}
		}
		return 2*n > r.Dy()
	}
	// Two passes: a border on one side can hide that on another at the corners.
	for range 2 {
		for r.Min.Y < r.Max.Y && rowDark(r.Min.Y) {
			r.Min.Y++
		}
		for r.Max.Y > r.Min.Y && rowDark(r.Max.Y-1) {
			r.Max.Y--
		}
		for r.Min.X < r.Max.X && colDark(r.Min.X) {
			r.Min.X++
		}
		for r.Max.X > r.Min.X && colDark(r.Max.X-1) {
			r.Max.X--
		}
	}
	if r.Dx() < w/2 || r.Dy() < h/2 {
		return img, b
	}
	r = r.Add(b.Min)
	if r == b {
		return img, b
	}
	return Crop(img, r), r
}

// DarkLevel is the brightness (0 to 255) under which CropBorders counts a
// pixel as dark.
const DarkLevel = 80

// darkTest returns a test of whether the pixel (x, y) of img, counted from its bounds'
// minimum, is darker than DarkLevel. It reads the pixel when asked: CropBorders looks at the
// rows and columns along the edges only, up to the first that is not border.
func darkTest(img image.Image) func(x, y int) bool {
	b := img.Bounds()
	// dark16 compares the luma of 16-bit r, g, b as color.GrayModel computes it.
	dark16 := func(r, g, bl uint32) bool { return (19595*r+38470*g+7471*bl+1<<15)>>24 < DarkLevel }
	switch m := img.(type) {
	case *image.Gray:
		return func(x, y int) bool { return m.Pix[m.PixOffset(b.Min.X+x, b.Min.Y+y)] < DarkLevel }
	case *image.NRGBA:
		return func(x, y int) bool {
			p := m.Pix[m.PixOffset(b.Min.X+x, b.Min.Y+y):]
			r, g, bl, _ := color.NRGBA{p[0], p[1], p[2], p[3]}.RGBA() // as At, without the interface
			return dark16(r, g, bl)
		}
	}
	return func(x, y int) bool {
		r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
		return dark16(r, g, bl)
	}
}

// asGray returns img as an *image.Gray if it is a gray image: *image.Gray
// itself with its origin at (0, 0), or a converted copy.
func asGray(img image.Image) (*image.Gray, bool) {
	if m, ok := img.(*image.Gray); ok && m.Rect.Min == (image.Point{}) {
		return m, true
	}
	if !isGray(img) {
		return nil, false
	}
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(g, g.Rect, img, b.Min, draw.Src)
	return g, true
}

// isGray reports whether img has a gray colour model.
func isGray(img image.Image) bool {
	m := img.ColorModel()
	return m == color.GrayModel || m == color.Gray16Model
}

// Crop copies the part r of img into a new image with its origin at (0, 0):
// *image.Gray for gray images, *image.NRGBA otherwise. r is clipped to img's bounds.
func Crop(img image.Image, r image.Rectangle) image.Image {
	r = r.Intersect(img.Bounds())
	size := image.Rect(0, 0, r.Dx(), r.Dy())
	switch m := img.(type) {
	case *image.Gray:
		dst := image.NewGray(size)
		for y := range r.Dy() {
			copy(dst.Pix[y*dst.Stride:(y+1)*dst.Stride], m.Pix[m.PixOffset(r.Min.X, r.Min.Y+y):])
		}
		return dst
	case *image.NRGBA:
		dst := image.NewNRGBA(size)
		for y := range r.Dy() {
			copy(dst.Pix[y*dst.Stride:(y+1)*dst.Stride], m.Pix[m.PixOffset(r.Min.X, r.Min.Y+y):])
		}
		return dst
	}
	if isGray(img) {
		dst := image.NewGray(size)
		draw.Draw(dst, size, img, r.Min, draw.Src)
		return dst
	}
	return imaging.Crop(img, r)
}

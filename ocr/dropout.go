package ocr

import (
	"fmt"
	"image"
	"image/color"
	"strings"
)

// Inks is a set of ink colours dropped from the image Tesseract reads (colour dropout): red
// seals and stamps, blue signatures, handwritten notes and received stamps. The image kept in
// the archive is never changed.
type Inks uint8

// Ink colours that can be dropped.
const (
	InkRed Inks = 1 << iota
	InkBlue
)

// ParseInks parses a comma-separated list of ink colours ("red,blue"; "" or "none" for none).
func ParseInks(s string) (Inks, error) {
	var k Inks
	for _, f := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "", "none":
		case "red":
			k |= InkRed
		case "blue":
			k |= InkBlue
		default:
			return 0, fmt.Errorf("ocr: dropout colour %q: want red, blue or none", strings.TrimSpace(f))
		}
	}
	return k, nil
}

// String returns the set as ParseInks reads it.
func (k Inks) String() string {
	var p []string
	if k&InkRed != 0 {
		p = append(p, "red")
	}
	if k&InkBlue != 0 {
		p = append(p, "blue")
	}
	if len(p) == 0 {
		return "none"
	}
	return strings.Join(p, ",")
}

// Dropout thresholds. A pixel is coloured ink when its chroma (largest minus smallest of R, G
// and B) is at least dropMinChroma and at least dropMinSaturation of its largest component;
// paper tint (cream, grey) stays far below both, black print and print overprinted by a seal
// are dark and have little chroma. Its hue decides blue (180..300 degrees) or red (from 300
// round to dropRedHue: purples where blue ink crosses a red seal included). The edges of ink strokes are
// mixed with paper and, in JPEG scans, lose half their chroma to subsampling: within
// dropReach pixels of coloured ink, a pixel of the same hue with a chroma of dropEdgeChroma
// is ink too, and so is any pixel lighter than dropEdgeLuma (the gray fringe that sharpening
// leaves around strokes); black print is darker. A dropped pixel becomes as light as its lightest component, pulled halfway
// further towards white, so that nothing of the stroke is left for Tesseract to binarise.
const (
	dropMinChroma     = 32
	dropMinSaturation = 0.25 // as 4*chroma >= largest in inkClass
	dropEdgeChroma    = 14
	dropReach         = 3
	dropEdgeLuma      = 96
	dropRedHue        = 40
)

// Pixel classes of the dropout mask.
const (
	inkNone = iota
	inkEdge // a dropped colour's hue, weak chroma: ink only next to inkCore
	inkCore
)

// DropoutGray converts img to gray like ToGray, except that pixels of the inks in k become
// light. Gray images, and any image when k is empty, are converted by ToGray. The result
// never aliases a colour img.
func DropoutGray(img image.Image, k Inks) *image.Gray {
	g, _ := dropout(img, k)
	return g
}

// dropout is DropoutGray that also counts where the dropped ink was (nil when nothing was
// looked for).
func dropout(img image.Image, k Inks) (*image.Gray, *inkGrid) {
	if k == 0 || img.ColorModel() == color.GrayModel || img.ColorModel() == color.Gray16Model {
		return ToGray(img), nil
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	d := &dropper{k: k, w: w, g: image.NewGray(b), lift: make([]uint8, w*h), class: make([]uint8, w*h),
		rowCore: make([]bool, h), ink: newInkGrid(b)}
	if m, ok := img.(*image.YCbCr); ok {
		d.ycbcr(m)
	} else if pix, stride, ok := opaqueRGBA(img); ok {
		for y := 0; y < h; y++ {
			src := pix[y*stride : y*stride+4*w]
			for x := 0; x < w; x++ {
				s := src[4*x : 4*x+3 : 4*x+3]
				d.pixel(x, y, uint32(s[0]), uint32(s[1]), uint32(s[2]))
			}
		}
	} else {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				if c.A != 0xff {
					d.g.Pix[y*d.g.Stride+x] = nrgbaGray(c)
					continue
				}
				d.pixel(x, y, uint32(c.R), uint32(c.G), uint32(c.B))
			}
		}
	}
	d.finish(h)
	return d.g, d.ink
}

// opaqueRGBA returns the pixels of an opaque *image.NRGBA or *image.RGBA,
// which are laid out alike (R, G, B, A bytes; premultiplied and straight
// colours are the same at full alpha). Scans are composited on white when
// they are read, so these are the images the product gives; any other image,
// or one with transparent pixels, takes the generic path.
func opaqueRGBA(img image.Image) (pix []uint8, stride int, ok bool) {
	switch m := img.(type) {
	case *image.NRGBA:
		return m.Pix, m.Stride, m.Opaque()
	case *image.RGBA:
		return m.Pix, m.Stride, m.Opaque()
	}
	return nil, 0, false
}

// dropper holds the state of one dropout.
type dropper struct {
	k       Inks
	w       int
	g       *image.Gray
	lift    []uint8 // light value of an ink-hued pixel
	class   []uint8 // inkNone, inkEdge or inkCore
	rowCore []bool  // rows with an inkCore pixel
	ink     *inkGrid
}

// chromaLUT gives, for every (Cb, Cr), the ink class of the colour, its chroma and how much
// lighter than Y its largest RGB component is. In YCbCr the differences between R, G and B,
// hence hue and chroma, depend on Cb and Cr only.
type chromaLUT struct {
	class  [256 * 256]Inks
	chroma [256 * 256]uint8
	up     [256 * 256]int16
}

func newChromaLUT(k Inks) *chromaLUT {
	t := &chromaLUT{}
	for cb := 0; cb < 256; cb++ {
		for cr := 0; cr < 256; cr++ {
			// Offsets of R, G and B from Y (color.YCbCrToRGB without clamping), scaled by 2^16.
			r := 91881 * (cr - 128)
			g := -22554*(cb-128) - 46802*(cr-128)
			b := 116130 * (cb - 128)
			hi, lo := max(r, g, b), min(r, g, b)
			const base = 128 << 16 // evaluate the hue around mid-gray, where nothing clamps
			c, _ := inkClass(uint32(min(max(base+r, 0), 255<<16)>>16), uint32(min(max(base+g, 0), 255<<16)>>16),
				uint32(min(max(base+b, 0), 255<<16)>>16))
			i := cb<<8 | cr
			t.class[i] = c & k
			t.chroma[i] = uint8(min((hi-lo)>>16, 255))
			t.up[i] = int16(hi >> 16)
		}
	}
	return t
}

// ycbcr runs the dropout over a YCbCr image: the gray is the Y plane, as in ToGray.
func (d *dropper) ycbcr(m *image.YCbCr) {
	lut := newChromaLUT(d.k)
	b := m.Rect
	sx, sy := 0, 0
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		sx = 1
	case image.YCbCrSubsampleRatio420:
		sx, sy = 1, 1
	case image.YCbCrSubsampleRatio440:
		sy = 1
	case image.YCbCrSubsampleRatio444:
	default:
		sx, sy = -1, -1 // use COffset
	}
	h := b.Dy()
	for y := 0; y < h; y++ {
		yrow := m.Y[y*m.YStride : y*m.YStride+d.w]
		dst := d.g.Pix[y*d.g.Stride : y*d.g.Stride+d.w]
		copy(dst, yrow)
		for x := range yrow {
			var ci int
			if sx >= 0 {
				ci = ((y+b.Min.Y)>>sy-b.Min.Y>>sy)*m.CStride + (x+b.Min.X)>>sx - b.Min.X>>sx
			} else {
				ci = m.COffset(b.Min.X+x, b.Min.Y+y)
			}
			li := int(m.Cb[ci])<<8 | int(m.Cr[ci])
			k := lut.class[li]
			if k == 0 {
				continue
			}
			c := uint32(lut.chroma[li])
			hi := uint32(min(max(int(yrow[x])+int(lut.up[li]), 0), 255))
			strong := c >= dropMinChroma && 4*c >= hi
			d.mark(x, y, k, strong, hi)
		}
	}
}

// mark records pixel x, y as possible ink of colour k, of largest component hi.
func (d *dropper) mark(x, y int, k Inks, strong bool, hi uint32) {
	i := y*d.w + x
	d.lift[i] = uint8(hi + (0xff-hi)/2)
	d.class[i] = inkEdge
	if strong {
		d.class[i] = inkCore
		d.rowCore[y] = true
		d.ink.add(x, y)
		if k == InkBlue {
			d.ink.blue++
		}
	}
}

// pixel writes the luma of pixel x, y (relative to the bounds) and classifies it.
func (d *dropper) pixel(x, y int, r, g, b uint32) {
	d.g.Pix[y*d.g.Stride+x] = uint8(luma(r, g, b))
	if max(r, g, b)-min(r, g, b) < dropEdgeChroma {
		return // neutral: paper, print
	}
	c, strong := inkClass(r, g, b)
	if c == 0 || d.k&c == 0 {
		return
	}
	d.mark(x, y, c, strong, max(r, g, b))
}

// finish lightens the ink: every inkCore pixel, and within dropReach pixels of one every
// inkEdge pixel and every pixel lighter than dropEdgeLuma.
func (d *dropper) finish(h int) {
	w, r := d.w, dropReach
	// hn: an inkCore pixel within r along the row (only rows that have one).
	hn := make([]bool, w*h)
	for y := 0; y < h; y++ {
		if !d.rowCore[y] {
			continue
		}
		c := d.class[y*w : y*w+w]
		last := -r - 1 // x of the rightmost inkCore pixel at or before x+r
		for x := 0; x < min(r, w); x++ {
			if c[x] == inkCore {
				last = x
			}
		}
		for x := 0; x < w; x++ {
			if x+r < w && c[x+r] == inkCore {
				last = x + r
			}
			hn[y*w+x] = last >= x-r
		}
	}
	for y := 0; y < h; y++ {
		y0, y1 := max(0, y-r), min(h-1, y+r)
		any := false
		for yy := y0; yy <= y1; yy++ {
			any = any || d.rowCore[yy]
		}
		if !any {
			continue
		}
		row := d.g.Pix[y*d.g.Stride : y*d.g.Stride+w]
		for x := 0; x < w; x++ {
			i := y*w + x
			cl := d.class[i]
			if cl == inkCore {
				row[x] = d.lift[i]
				continue
			}
			if cl != inkEdge && row[x] < dropEdgeLuma {
				continue
			}
			near := false
			for yy := y0; yy <= y1 && !near; yy++ {
				near = hn[yy*w+x]
			}
			if !near {
				continue
			}
			if cl == inkEdge {
				row[x] = d.lift[i]
			} else {
				row[x] = uint8(uint32(row[x]) + (0xff-uint32(row[x]))/2)
			}
		}
	}
}

// nrgbaGray is the luma of a non-premultiplied RGBA pixel composited onto white.
func nrgbaGray(c color.NRGBA) uint8 {
	l := luma(uint32(c.R), uint32(c.G), uint32(c.B))
	a := uint32(c.A)
	return uint8((l*a + 0xff*(0xff-a) + 0x7f) / 0xff)
}

// inkClass returns the ink a pixel may be of (InkRed, InkBlue or 0 for paper, black or gray
// print and other colours) and whether its chroma is strong enough for it to be ink on its own.
// The hue test is done in integers: with the largest component red, the hue is
// 60·(g−b)/chroma degrees (−60..60), red up to dropRedHue; with blue largest it is 180..300,
// blue; with green largest it is 60..180, neither.
func inkClass(r, g, b uint32) (Inks, bool) {
	hi, lo := max(r, g, b), min(r, g, b)
	c := hi - lo
	if c < dropEdgeChroma {
		return 0, false
	}
	strong := c >= dropMinChroma && 4*c >= hi // saturation at least dropMinSaturation
	switch {
	case hi == r && r != g:
		if 60*(int(g)-int(b)) <= dropRedHue*int(c) {
			return InkRed, strong
		}
	case hi == b:
		return InkBlue, strong
	}
	return 0, false
}

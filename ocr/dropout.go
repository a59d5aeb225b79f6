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
// are dark and have little chroma. Its hue decides blue (dropBlueHueMin..dropBlueHueMax
// degrees) or red (from dropBlueHueMax round to dropRedHue: purples where blue ink crosses a
// red seal included). The edges of ink strokes are
// mixed with paper and, in JPEG scans, lose half their chroma to subsampling: within
// dropReach pixels of coloured ink, a pixel of the same hue with a chroma of dropEdgeChroma
// is ink too, and so is any pixel lighter than dropEdgeLuma (the gray fringe that sharpening
// leaves around strokes); black print is darker. A dropped pixel becomes as light as its lightest component, pulled halfway
// further towards white, so that nothing of the stroke is left for Tesseract to binarise.
const (
	dropMinChroma     = 32
	dropMinSaturation = 0.25
	dropEdgeChroma    = 14
	dropReach         = 3
	dropEdgeLuma      = 96
	dropRedHue        = 40
	dropBlueHueMin    = 180
	dropBlueHueMax    = 300
)

// Pixel classes of the dropout mask.
const (
	inkNone   = iota
	inkFringe // light, no colour: ink only next to inkCore
	inkEdge   // a dropped colour's hue, weak chroma: ink only next to inkCore
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
	g := image.NewGray(b)
	lifted := make([]uint8, w*h)
	class := make([]uint8, w*h)
	blue := make([]bool, w*h)
	px := func(i int, r, gr, bl uint32) {
		c, strong := inkClass(r, gr, bl)
		if c != 0 && k&c != 0 {
			hi := max(r, gr, bl)
			lifted[i] = uint8(hi + (0xff-hi)/2)
			blue[i] = c == InkBlue
			class[i] = inkEdge
			if strong {
				class[i] = inkCore
			}
		}
		l := luma(r, gr, bl)
		g.Pix[(i/w)*g.Stride+i%w] = uint8(l)
		if class[i] == inkNone && l >= dropEdgeLuma {
			lifted[i] = uint8(l + (0xff-l)/2)
			class[i] = inkFringe
		}
	}
	switch m := img.(type) {
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				yi := m.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := m.COffset(b.Min.X+x, b.Min.Y+y)
				r, gr, bl := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				px(y*w+x, uint32(r), uint32(gr), uint32(bl))
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				if c.A != 0xff {
					g.Pix[y*g.Stride+x] = nrgbaGray(c)
					continue
				}
				px(y*w+x, uint32(c.R), uint32(c.G), uint32(c.B))
			}
		}
	}
	near := nearCore(class, w, h, dropReach)
	ink := newInkGrid(b)
	for i, c := range class {
		if c == inkCore || c != inkNone && near[i] {
			g.Pix[(i/w)*g.Stride+i%w] = lifted[i]
		}
		if c == inkCore {
			ink.add(i%w, i/w)
		}
		if c == inkCore && blue[i] {
			ink.blue++
		}
	}
	return g, ink
}

// nearCore returns, for every pixel of a w×h class mask, whether an inkCore pixel lies within
// r pixels horizontally and vertically (a square window, by two running-count passes).
func nearCore(class []uint8, w, h, r int) []bool {
	row := make([]uint16, w*h) // inkCore pixels within r along the row
	for y := 0; y < h; y++ {
		c := class[y*w : y*w+w]
		n := 0
		for x := 0; x < min(r, w); x++ {
			if c[x] == inkCore {
				n++
			}
		}
		for x := 0; x < w; x++ {
			if x+r < w && c[x+r] == inkCore {
				n++
			}
			if x-r-1 >= 0 && c[x-r-1] == inkCore {
				n--
			}
			row[y*w+x] = uint16(n)
		}
	}
	near := make([]bool, w*h)
	for x := 0; x < w; x++ {
		n := 0
		for y := 0; y < min(r, h); y++ {
			n += int(row[y*w+x])
		}
		for y := 0; y < h; y++ {
			if y+r < h {
				n += int(row[(y+r)*w+x])
			}
			if y-r-1 >= 0 {
				n -= int(row[(y-r-1)*w+x])
			}
			near[y*w+x] = n > 0
		}
	}
	return near
}

// nrgbaGray is the luma of a non-premultiplied RGBA pixel composited onto white.
func nrgbaGray(c color.NRGBA) uint8 {
	l := luma(uint32(c.R), uint32(c.G), uint32(c.B))
	a := uint32(c.A)
	return uint8((l*a + 0xff*(0xff-a) + 0x7f) / 0xff)
}

// inkClass returns the ink a pixel may be of (InkRed, InkBlue or 0 for paper, black or gray
// print and other colours) and whether its chroma is strong enough for it to be ink on its own.
func inkClass(r, g, b uint32) (Inks, bool) {
	hi, lo := max(r, g, b), min(r, g, b)
	c := hi - lo
	if c < dropEdgeChroma {
		return 0, false
	}
	strong := c >= dropMinChroma && float64(c) >= dropMinSaturation*float64(hi)
	// Hue in degrees, 0..360.
	var h float64
	switch hi {
	case r:
		h = 60 * float64(int(g)-int(b)) / float64(c)
		if h < 0 {
			h += 360
		}
	case g:
		h = 120 + 60*float64(int(b)-int(r))/float64(c)
	default:
		h = 240 + 60*float64(int(r)-int(g))/float64(c)
	}
	switch {
	case h <= dropRedHue || h >= dropBlueHueMax:
		return InkRed, strong
	case h >= dropBlueHueMin:
		return InkBlue, strong
	}
	return 0, false
}

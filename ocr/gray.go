package ocr

import (
	"image"
	"image/color"
)

// ToGray converts any image to *image.Gray quickly (fast paths for *image.Gray, *image.YCbCr (take Y plane), *image.NRGBA, *image.RGBA).
//
// The result keeps img's bounds. A *image.Gray is returned as is and the luma plane of a
// *image.YCbCr is shared, not copied, so the result may alias img's pixels. Transparent pixels
// are composited onto white, the colour of paper.
func ToGray(img image.Image) *image.Gray {
	switch m := img.(type) {
	case *image.Gray:
		return m
	case *image.YCbCr:
		// The Y plane of a YCbCr image is laid out exactly like image.Gray's Pix.
		return &image.Gray{Pix: m.Y, Stride: m.YStride, Rect: m.Rect}
	case *image.NRGBA:
		return nrgbaToGray(m)
	case *image.RGBA:
		return rgbaToGray(m)
	case *image.Paletted:
		return palettedToGray(m)
	}
	b := img.Bounds()
	g := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := g.Pix[(y-b.Min.Y)*g.Stride:]
		for x := b.Min.X; x < b.Max.X; x++ {
			row[x-b.Min.X] = grayOnWhite(img.At(x, y))
		}
	}
	return g
}

// luma returns the Rec. 601 luma of 8-bit r, g, b, as the standard library's color.GrayModel does.
func luma(r, g, b uint32) uint32 {
	return (19595*r + 38470*g + 7471*b + 1<<15) >> 16
}

func nrgbaToGray(m *image.NRGBA) *image.Gray {
	b := m.Rect
	g := image.NewGray(b)
	w := b.Dx()
	for y := 0; y < b.Dy(); y++ {
		nrgbaRowGray(g.Pix[y*g.Stride:y*g.Stride+w], m.Pix[y*m.Stride:y*m.Stride+4*w])
	}
	return g
}

// nrgbaRowGray writes the gray of the NRGBA pixels src, composited onto white, to dst.
func nrgbaRowGray(dst, src []uint8) {
	for x := range dst {
		s := src[4*x : 4*x+4 : 4*x+4]
		l := luma(uint32(s[0]), uint32(s[1]), uint32(s[2]))
		if a := uint32(s[3]); a != 0xff {
			l = (l*a + 0xff*(0xff-a) + 0x7f) / 0xff
		}
		dst[x] = uint8(l)
	}
}

func rgbaToGray(m *image.RGBA) *image.Gray {
	b := m.Rect
	g := image.NewGray(b)
	w := b.Dx()
	for y := 0; y < b.Dy(); y++ {
		src := m.Pix[y*m.Stride : y*m.Stride+4*w]
		dst := g.Pix[y*g.Stride : y*g.Stride+w]
		for x := range dst {
			s := src[4*x : 4*x+4 : 4*x+4]
			// Premultiplied: composite onto white by adding the uncovered part.
			l := luma(uint32(s[0]), uint32(s[1]), uint32(s[2])) + 0xff - uint32(s[3])
			dst[x] = uint8(min(l, 0xff))
		}
	}
	return g
}

func palettedToGray(m *image.Paletted) *image.Gray {
	var lut [256]uint8
	for i, c := range m.Palette {
		lut[i] = grayOnWhite(c)
	}
	b := m.Rect
	g := image.NewGray(b)
	w := b.Dx()
	for y := 0; y < b.Dy(); y++ {
		src := m.Pix[y*m.Stride : y*m.Stride+w]
		dst := g.Pix[y*g.Stride : y*g.Stride+w]
		for x, i := range src {
			dst[x] = lut[i]
		}
	}
	return g
}

// grayOnWhite returns the 8-bit luma of c composited onto white.
func grayOnWhite(c color.Color) uint8 {
	r, g, b, a := c.RGBA() // premultiplied, 16-bit
	y := (19595*r + 38470*g + 7471*b + 1<<15) >> 16
	y += 0xffff - a
	return uint8(min(y, 0xffff) >> 8)
}

package scan

import (
	"image"
	"image/color"
)

// flatten composites a page with transparent pixels on white paper, as image
// viewers show it, so that transparent paper does not become black when the
// page is turned to gray. It works in place where the image type allows
// (palette entries, NRGBA and RGBA pixels), so memory does not grow.
func flatten(img image.Image) image.Image {
	if o, ok := img.(interface{ Opaque() bool }); ok && o.Opaque() {
		return img
	}
	switch m := img.(type) {
	case *image.Paletted:
		pal := make(color.Palette, len(m.Palette))
		for i, c := range m.Palette {
			pal[i] = onWhite(c)
		}
		m.Palette = pal
		return m
	case *image.NRGBA:
		for i := 0; i+3 < len(m.Pix); i += 4 {
			a := uint32(m.Pix[i+3])
			for k := 0; k < 3; k++ {
				m.Pix[i+k] = uint8((uint32(m.Pix[i+k])*a + 255*(255-a) + 127) / 255)
			}
			m.Pix[i+3] = 255
		}
		return m
	case *image.RGBA: // premultiplied
		for i := 0; i+3 < len(m.Pix); i += 4 {
			a := m.Pix[i+3]
			for k := 0; k < 3; k++ {
				m.Pix[i+k] += 255 - a
			}
			m.Pix[i+3] = 255
		}
		return m
	case *image.NRGBA64:
		for i := 0; i+7 < len(m.Pix); i += 8 {
			a := uint32(m.Pix[i+6])<<8 | uint32(m.Pix[i+7])
			for k := 0; k < 6; k += 2 {
				c := uint32(m.Pix[i+k])<<8 | uint32(m.Pix[i+k+1])
				c = (c*a + 0xffff*(0xffff-a) + 0x7fff) / 0xffff
				m.Pix[i+k], m.Pix[i+k+1] = uint8(c>>8), uint8(c)
			}
			m.Pix[i+6], m.Pix[i+7] = 0xff, 0xff
		}
		return m
	case *image.RGBA64: // premultiplied
		for i := 0; i+7 < len(m.Pix); i += 8 {
			a := uint32(m.Pix[i+6])<<8 | uint32(m.Pix[i+7])
			for k := 0; k < 6; k += 2 {
				c := uint32(m.Pix[i+k])<<8 | uint32(m.Pix[i+k+1]) + 0xffff - a
				m.Pix[i+k], m.Pix[i+k+1] = uint8(c>>8), uint8(c)
			}
			m.Pix[i+6], m.Pix[i+7] = 0xff, 0xff
		}
		return m
	}
	// Any other type with transparency: draw it on white, in a new image.
	b := img.Bounds()
	dst := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dst.Set(x, y, onWhite(img.At(x, y)))
		}
	}
	return dst
}

// onWhite composites one colour on white.
func onWhite(c color.Color) color.Color {
	r, g, b, a := c.RGBA() // premultiplied, 16-bit
	w := 0xffff - a
	return color.NRGBA64{R: uint16(r + w), G: uint16(g + w), B: uint16(b + w), A: 0xffff}
}

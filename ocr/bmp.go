package ocr

import (
	"encoding/binary"
	"image"
)

// appendBMP appends g as an uncompressed 8-bit BMP with a gray palette to dst.
// Leptonica reads BMP straight from memory, row by row; its PNM reader goes
// through a stream one byte at a time, which costs about 0.2 s on a 300-dpi page.
func appendBMP(dst []byte, g *image.Gray) []byte {
	b := g.Bounds()
	w, h := b.Dx(), b.Dy()
	rowSize := (w + 3) &^ 3
	const headers = 14 + 40 + 256*4
	size := headers + rowSize*h
	le := binary.LittleEndian
	dst = append(dst, 'B', 'M')
	dst = le.AppendUint32(dst, uint32(size))
	dst = le.AppendUint32(dst, 0)
	dst = le.AppendUint32(dst, headers)
	dst = le.AppendUint32(dst, 40)        // BITMAPINFOHEADER
	dst = le.AppendUint32(dst, uint32(w)) // width
	dst = le.AppendUint32(dst, uint32(h)) // height: positive = rows bottom-up
	dst = le.AppendUint16(dst, 1)         // planes
	dst = le.AppendUint16(dst, 8)         // bits per pixel
	dst = le.AppendUint32(dst, 0)         // no compression
	dst = le.AppendUint32(dst, uint32(rowSize*h))
	dst = le.AppendUint32(dst, 0) // resolution: not set here
	dst = le.AppendUint32(dst, 0)
	dst = le.AppendUint32(dst, 256) // colours used
	dst = le.AppendUint32(dst, 0)
	for i := 0; i < 256; i++ {
		dst = append(dst, byte(i), byte(i), byte(i), 0)
	}
	pad := make([]byte, rowSize-w)
	for y := h - 1; y >= 0; y-- {
		off := g.PixOffset(b.Min.X, b.Min.Y+y)
		dst = append(dst, g.Pix[off:off+w]...)
		dst = append(dst, pad...)
	}
	return dst
}

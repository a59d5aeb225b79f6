package ocr

import (
	"encoding/binary"
	"image"
	"slices"
)

// appendBMP appends g as an uncompressed 8-bit BMP with a gray palette to dst.
// Leptonica reads BMP straight from memory, row by row; its PNM reader goes
// through a stream one byte at a time, which costs about 0.2 s on a 300-dpi page.
func appendBMP(dst []byte, g *image.Gray) []byte {
	b := g.Bounds()
	return appendBMPRows(dst, b.Dx(), b.Dy(), func(row []byte, y int) []byte {
		off := g.PixOffset(b.Min.X, b.Min.Y+y)
		return append(row, g.Pix[off:off+b.Dx()]...)
	})
}

// appendNRGBABMP appends the gray of m, as ToGray makes it, as appendBMP does, without the
// gray copy of the page in between.
func appendNRGBABMP(dst []byte, m *image.NRGBA) []byte {
	w := m.Rect.Dx()
	return appendBMPRows(dst, w, m.Rect.Dy(), func(row []byte, y int) []byte {
		n := len(row)
		row = append(row, make([]byte, w)...) // grown in place: dst has the room
		nrgbaRowGray(row[n:], m.Pix[y*m.Stride:y*m.Stride+4*w])
		return row
	})
}

// appendBMPRows appends a w×h uncompressed 8-bit BMP with a gray palette to dst; row appends
// the w gray levels of the image's row y.
func appendBMPRows(dst []byte, w, h int, row func(dst []byte, y int) []byte) []byte {
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
	dst = slices.Grow(dst, rowSize*h)
	pad := make([]byte, rowSize-w)
	for y := h - 1; y >= 0; y-- {
		dst = row(dst, y)
		dst = append(dst, pad...)
	}
	return dst
}

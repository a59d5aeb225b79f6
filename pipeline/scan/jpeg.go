package scan

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// inspectJPEG reads the markers of a JPEG file up to its frame header: the
// size and components from SOFn, the resolution from the JFIF APP0 density
// or, when that records none, from the EXIF XResolution and ResolutionUnit.
func inspectJPEG(r *bufio.Reader) (Info, error) {
	info := Info{Format: JPEG, Page: 1, Compression: "jpeg"}
	var soi [2]byte
	if _, err := io.ReadFull(r, soi[:]); err != nil || soi != [2]byte{0xff, 0xd8} {
		return info, ErrNotImage
	}
	var exifX, exifY float64
	for {
		marker, err := nextMarker(r)
		if err != nil {
			return info, err
		}
		switch {
		case marker == 0x01 || marker >= 0xd0 && marker <= 0xd8:
			continue // markers without a segment
		case marker == 0xd9 || marker == 0xda:
			return info, fmt.Errorf("%w JPEG: no frame header before the image data", ErrCorrupt)
		}
		var lb [2]byte
		if _, err := io.ReadFull(r, lb[:]); err != nil {
			return info, fmt.Errorf("%w JPEG header", ErrTruncated)
		}
		n := int(binary.BigEndian.Uint16(lb[:])) - 2
		if n < 0 {
			return info, fmt.Errorf("%w JPEG: segment length %d", ErrCorrupt, n+2)
		}
		switch {
		case marker == 0xe0 || marker == 0xe1 || isSOF(marker):
			seg := make([]byte, n)
			if _, err := io.ReadFull(r, seg); err != nil {
				return info, fmt.Errorf("%w JPEG header", ErrTruncated)
			}
			switch {
			case marker == 0xe0:
				if x, y, ok := jfifDensity(seg); ok && info.DPIX == 0 {
					info.DPIX, info.DPIY = x, y
				}
			case marker == 0xe1:
				if x, y, ok := exifResolution(seg); ok && exifX == 0 {
					exifX, exifY = x, y
				}
			default:
				if len(seg) < 6 {
					return info, fmt.Errorf("%w JPEG: short frame header", ErrCorrupt)
				}
				info.Depth = int(seg[0])
				if info.Depth != 8 {
					return info, fmt.Errorf("%w JPEG with %d-bit samples (only 8-bit JPEG is read): save the scans as 8-bit JPEG, TIFF or PNG", ErrUnsupported, info.Depth)
				}
				info.Height = int(binary.BigEndian.Uint16(seg[1:3]))
				info.Width = int(binary.BigEndian.Uint16(seg[3:5]))
				switch seg[5] {
				case 1:
					info.ColorModel = "gray"
				case 3:
					info.ColorModel = "rgb"
				case 4:
					info.ColorModel = "cmyk"
				default:
					return info, fmt.Errorf("%w JPEG with %d components", ErrUnsupported, seg[5])
				}
				if info.DPIX == 0 {
					info.DPIX, info.DPIY = exifX, exifY
				}
				return info, nil
			}
		default:
			if _, err := r.Discard(n); err != nil {
				return info, fmt.Errorf("%w JPEG header", ErrTruncated)
			}
		}
	}
}

// nextMarker reads the next marker, skipping fill bytes.
func nextMarker(r *bufio.Reader) (byte, error) {
	b, err := r.ReadByte()
	if err != nil {
		return 0, fmt.Errorf("%w JPEG header", ErrTruncated)
	}
	if b != 0xff {
		return 0, fmt.Errorf("%w JPEG: byte %#02x where a marker should be", ErrCorrupt, b)
	}
	for b == 0xff {
		if b, err = r.ReadByte(); err != nil {
			return 0, fmt.Errorf("%w JPEG header", ErrTruncated)
		}
	}
	return b, nil
}

// isSOF reports whether the marker starts a frame (SOF0 to SOF15, which
// excludes DHT, JPG and DAC).
func isSOF(m byte) bool {
	return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc
}

// jfifDensity reads the density of a JFIF APP0 segment in dots per inch.
func jfifDensity(seg []byte) (x, y float64, ok bool) {
	if len(seg) < 12 || !bytes.HasPrefix(seg, []byte("JFIF\x00")) {
		return 0, 0, false
	}
	units := seg[7]
	x = float64(binary.BigEndian.Uint16(seg[8:10]))
	y = float64(binary.BigEndian.Uint16(seg[10:12]))
	switch units {
	case 1: // dots per inch
	case 2: // dots per centimetre
		x, y = x*2.54, y*2.54
	default: // aspect ratio only
		return 0, 0, false
	}
	if x == 0 || y == 0 {
		return 0, 0, false
	}
	return roundDPI(x), roundDPI(y), true
}

// exifResolution reads XResolution, YResolution and ResolutionUnit from the
// first directory of an EXIF APP1 segment, in dots per inch.
func exifResolution(seg []byte) (x, y float64, ok bool) {
	if !bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
		return 0, 0, false
	}
	t := seg[6:]
	f, err := openTIFF(bytes.NewReader(t), int64(len(t)))
	if err != nil {
		return 0, 0, false
	}
	d, err := f.readIFD(f.first)
	if err != nil {
		return 0, 0, false
	}
	x, y, err = d.resolution()
	return x, y, err == nil && x > 0
}

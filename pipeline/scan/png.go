package scan

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// inspectPNG reads the chunks of a PNG file up to its image data: the size
// and colour type from IHDR, the resolution from pHYs (pixels per metre).
func inspectPNG(r *bufio.Reader) (Info, error) {
	info := Info{Format: PNG, Page: 1, Compression: "png"}
	var sig [8]byte
	if _, err := io.ReadFull(r, sig[:]); err != nil || !bytes.Equal(sig[:], []byte("\x89PNG\r\n\x1a\n")) {
		return info, ErrNotImage
	}
	for first := true; ; first = false {
		var h [8]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return info, fmt.Errorf("%w PNG header", ErrTruncated)
		}
		n := binary.BigEndian.Uint32(h[:4])
		typ := string(h[4:8])
		if n > 1<<31-1 {
			return info, fmt.Errorf("%w PNG: chunk %q of %d bytes", ErrCorrupt, typ, n)
		}
		if first != (typ == "IHDR") {
			return info, fmt.Errorf("%w PNG: the first chunk is %q, not IHDR", ErrCorrupt, typ)
		}
		switch typ {
		case "IHDR", "pHYs":
			if n > 64 {
				return info, fmt.Errorf("%w PNG: %s chunk of %d bytes", ErrCorrupt, typ, n)
			}
			b := make([]byte, n+4) // data and CRC
			if _, err := io.ReadFull(r, b); err != nil {
				return info, fmt.Errorf("%w PNG header", ErrTruncated)
			}
			if typ == "IHDR" {
				if n != 13 {
					return info, fmt.Errorf("%w PNG: IHDR chunk of %d bytes", ErrCorrupt, n)
				}
				w, h := binary.BigEndian.Uint32(b[0:4]), binary.BigEndian.Uint32(b[4:8])
				if w > 1<<31-1 || h > 1<<31-1 {
					return info, fmt.Errorf("%w: %dx%d pixels", ErrTooLarge, w, h)
				}
				info.Width, info.Height = int(w), int(h)
				info.ColorModel = pngColorModel(b[8], b[9])
				info.Depth = int(b[8])
				if err := checkPNGDepth(b[8], b[9]); err != nil {
					return info, err
				}
			} else if n == 9 && b[8] == 1 { // unit: metre
				info.DPIX = roundDPI(float64(binary.BigEndian.Uint32(b[0:4])) * 0.0254)
				info.DPIY = roundDPI(float64(binary.BigEndian.Uint32(b[4:8])) * 0.0254)
			}
		case "IDAT", "IEND":
			return info, nil
		default:
			if _, err := r.Discard(int(n) + 4); err != nil {
				return info, fmt.Errorf("%w PNG header", ErrTruncated)
			}
		}
	}
}

func pngColorModel(depth, colorType byte) string {
	switch colorType {
	case 0:
		if depth == 1 {
			return "bitonal"
		}
		return "gray"
	case 2:
		return "rgb"
	case 3:
		return "palette"
	case 4:
		return "gray-alpha"
	case 6:
		return "rgba"
	}
	return fmt.Sprintf("png-color-type-%d", colorType)
}

// checkPNGDepth checks the bit depth and colour type of an IHDR chunk against
// the combinations the PNG specification allows (section 11.2.2).
func checkPNGDepth(depth, colorType byte) error {
	ok := false
	switch colorType {
	case 0:
		ok = depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16
	case 3:
		ok = depth == 1 || depth == 2 || depth == 4 || depth == 8
	case 2, 4, 6:
		ok = depth == 8 || depth == 16
	default:
		return fmt.Errorf("%w PNG: colour type %d", ErrCorrupt, colorType)
	}
	if !ok {
		return fmt.Errorf("%w PNG: bit depth %d with colour type %d", ErrCorrupt, depth, colorType)
	}
	return nil
}

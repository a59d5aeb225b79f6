package pdfa

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"math"

	"github.com/sohoa-vn/sohoa/pipeline/turbojpeg"
)

// Filter names how a page image is encoded.
type Filter int

const (
	// DCT is a JPEG (baseline or progressive) stream, embedded with /DCTDecode.
	DCT Filter = iota
	// Flate is a zlib stream of raw samples (lossless): 8-bit gray or RGB, or 1-bit
	// bitonal rows padded to whole bytes, embedded with /FlateDecode.
	Flate
)

// String returns the PDF filter name.
func (f Filter) String() string {
	switch f {
	case DCT:
		return "DCTDecode"
	case Flate:
		return "FlateDecode"
	}
	return fmt.Sprintf("Filter(%d)", int(f))
}

// Image is an encoded page image, ready to embed.
type Image struct {
	Data             []byte
	Filter           Filter
	Width, Height    int  // pixels
	Gray             bool // DeviceGray, else DeviceRGB
	BitsPerComponent int  // 8, or 1 for bitonal (Flate only)
	// Quality is the JPEG quality EncodeImage chose (0 for Flate and for a passed-through JPEG).
	Quality int
	// PSNR is the fidelity of the encoding EncodeImage chose, in dB against the normalized page:
	// +Inf for lossless Flate, 0 when not measured (a passed-through JPEG is the scan itself).
	PSNR float64
}

// EncodeOptions controls EncodeImage.
type EncodeOptions struct {
	// PSNR is the fidelity target in dB: EncodeImage writes the smallest JPEG whose rendering
	// stays at or above it against the normalized page. 0 means DefaultPSNR; a target under
	// MinPSNR is refused.
	PSNR float64
	// JPEGQuality, when not 0, fixes the JPEG quality (1..100) instead of searching. A page
	// that this quality would bring under MinPSNR gets the smallest higher quality that keeps
	// MinPSNR.
	JPEGQuality int
}

// EncodeImage encodes a normalized page image for embedding: a gray image holding only 0 and
// 255 as 1-bit Flate (lossless), any other *image.Gray as a gray JPEG, anything else as a
// 24-bit colour JPEG (colour stays colour, even when the content is gray: TT 05/2025). The
// JPEG has optimal Huffman tables (libjpeg-turbo; baseline, see progressive), 4:2:0, at the smallest
// quality whose decoded pixels, which are what a reader renders at the scan's resolution,
// stay at or above the fidelity target. When no JPEG quality reaches it (colour detail that
// 4:2:0 cannot keep), the image is stored losslessly (8-bit Flate).
func EncodeImage(img image.Image, opts EncodeOptions) (Image, error) {
	target := opts.PSNR
	if target == 0 {
		target = DefaultPSNR
	}
	if !(target >= MinPSNR && target <= 100) { // NaN too
		return Image{}, fmt.Errorf("encode image: PSNR target %v dB: must be from %v to 100", opts.PSNR, MinPSNR)
	}
	q := opts.JPEGQuality
	if q < 0 || q > 100 {
		return Image{}, fmt.Errorf("encode image: JPEG quality %d out of range 1..100", q)
	}
	if img == nil {
		return Image{}, errors.New("encode image: nil image")
	}
	b := img.Bounds()
	if b.Empty() {
		return Image{}, errors.New("encode image: empty image")
	}
	out := Image{Width: b.Dx(), Height: b.Dy(), BitsPerComponent: 8}
	if g, ok := img.(*image.Gray); ok {
		out.Gray = true
		if isBitonal(g) {
			data, err := packBitonal(g)
			if err != nil {
				return Image{}, fmt.Errorf("encode bitonal image: %w", err)
			}
			out.Data, out.Filter, out.BitsPerComponent, out.PSNR = data, Flate, 1, math.Inf(1)
			return out, nil
		}
	}
	ref := newReference(img)
	var err error
	if q != 0 {
		out.Data, out.Quality, out.PSNR, err = ref.fixedJPEG(q)
	} else {
		out.Data, out.Quality, out.PSNR, err = ref.smallestJPEG(target, 1)
	}
	out.Filter = DCT
	if errors.Is(err, errTargetMissed) {
		out.Data, out.Quality, out.PSNR, out.Filter, err = ref.lossless(), 0, math.Inf(1), Flate, nil
	}
	if err != nil {
		return Image{}, fmt.Errorf("encode JPEG: %w", err)
	}
	return out, nil
}

// isBitonal reports whether g holds only the values 0 and 255.
func isBitonal(g *image.Gray) bool {
	b := g.Bounds()
	w := b.Dx()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		off := g.PixOffset(b.Min.X, y)
		for _, v := range g.Pix[off : off+w] {
			if v != 0 && v != 255 {
				return false
			}
		}
	}
	return true
}

// packBitonal packs g (only 0 and 255) into 1-bit rows, most significant bit
// first, 1 = white as DeviceGray wants, and compresses them with zlib.
func packBitonal(g *image.Gray) ([]byte, error) {
	b := g.Bounds()
	w := b.Dx()
	stride := (w + 7) / 8
	row := make([]byte, stride)
	var buf bytes.Buffer
	zw, err := zlib.NewWriterLevel(&buf, zlib.BestSpeed)
	if err != nil {
		return nil, err
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		clear(row)
		off := g.PixOffset(b.Min.X, y)
		for x, v := range g.Pix[off : off+w] {
			if v != 0 {
				row[x>>3] |= 0x80 >> (x & 7)
			}
		}
		if _, err := zw.Write(row); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// PassThroughJPEG wraps an original JPEG file's bytes unchanged (for pages that needed no rotation/deskew), after checking
// it is a baseline/progressive JPEG with 1 (gray) or 3 (YCbCr) components that PDF readers accept; CMYK or 12-bit -> error.
// The data must also decode completely, so that a truncated or corrupt file never enters an archive PDF.
// The caller is responsible for the page needing no rotation: an EXIF orientation tag is not applied by PDF readers.
func PassThroughJPEG(data []byte) (Image, error) {
	sof, err := scanJPEG(data)
	if err != nil {
		return Image{}, fmt.Errorf("pass-through JPEG: %w", err)
	}
	// libjpeg-turbo, as poppler, and stricter than image/jpeg: corrupt data libjpeg would only
	// warn about is refused too.
	if _, err := turbojpeg.Decode(data); err != nil {
		return Image{}, fmt.Errorf("pass-through JPEG: decode: %w", err)
	}
	return Image{
		Data:             data,
		Filter:           DCT,
		Width:            sof.width,
		Height:           sof.height,
		Gray:             sof.components == 1,
		BitsPerComponent: 8,
	}, nil
}

// jpegFrame is what the start-of-frame segment of a JPEG says.
type jpegFrame struct {
	marker        byte
	precision     int
	width, height int
	components    int
}

// scanJPEG walks the marker segments of a JPEG up to its start-of-frame and
// checks the frame is one every PDF reader decodes.
func scanJPEG(data []byte) (jpegFrame, error) {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return jpegFrame{}, errors.New("not a JPEG (no SOI marker)")
	}
	for i := 2; ; {
		if i+2 > len(data) {
			return jpegFrame{}, errors.New("no start-of-frame marker")
		}
		if data[i] != 0xFF {
			return jpegFrame{}, fmt.Errorf("bad marker at offset %d", i)
		}
		m := data[i+1]
		i += 2
		switch {
		case m == 0xFF: // fill byte
			i--
			continue
		case m == 0x01 || m >= 0xD0 && m <= 0xD8: // stand-alone markers
			continue
		case m == 0xD9 || m == 0xDA:
			return jpegFrame{}, errors.New("no start-of-frame marker before scan data")
		}
		if i+2 > len(data) {
			return jpegFrame{}, errors.New("truncated marker segment")
		}
		n := int(binary.BigEndian.Uint16(data[i:]))
		if n < 2 || i+n > len(data) {
			return jpegFrame{}, fmt.Errorf("bad segment length %d at offset %d", n, i)
		}
		seg := data[i+2 : i+n]
		i += n
		if m < 0xC0 || m > 0xCF || m == 0xC4 || m == 0xC8 || m == 0xCC {
			continue // not a start-of-frame
		}
		if len(seg) < 6 {
			return jpegFrame{}, errors.New("short start-of-frame segment")
		}
		f := jpegFrame{
			marker:     m,
			precision:  int(seg[0]),
			height:     int(binary.BigEndian.Uint16(seg[1:])),
			width:      int(binary.BigEndian.Uint16(seg[3:])),
			components: int(seg[5]),
		}
		switch m {
		case 0xC0, 0xC1, 0xC2: // baseline, extended sequential, progressive (Huffman)
		case 0xC3, 0xC7, 0xCB, 0xCF:
			return f, errors.New("lossless JPEG is not supported by PDF readers")
		case 0xC5, 0xC6, 0xCD, 0xCE:
			return f, errors.New("hierarchical JPEG is not supported")
		default:
			return f, errors.New("arithmetic-coded JPEG is not supported")
		}
		if f.precision != 8 {
			return f, fmt.Errorf("%d-bit JPEG is not supported (need 8-bit)", f.precision)
		}
		switch f.components {
		case 1, 3:
		case 4:
			return f, errors.New("CMYK (4-component) JPEG is not supported")
		default:
			return f, fmt.Errorf("%d-component JPEG is not supported", f.components)
		}
		if f.width == 0 || f.height == 0 {
			return f, fmt.Errorf("bad JPEG size %dx%d", f.width, f.height)
		}
		if len(seg) != 6+3*f.components {
			return f, errors.New("bad start-of-frame segment length")
		}
		return f, nil
	}
}

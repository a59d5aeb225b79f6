package scan

import (
	"encoding/binary"
	"fmt"
	"image"
	"io"
	"math"
	"strings"

	"github.com/hhrutter/tiff"
)

// TIFF tags read by the directory walker (TIFF 6.0, section 8).
const (
	tagNewSubfileType  = 254
	tagImageWidth      = 256
	tagImageLength     = 257
	tagBitsPerSample   = 258
	tagCompression     = 259
	tagPhotometric     = 262
	tagStripOffsets    = 273
	tagSamplesPerPixel = 277
	tagStripByteCounts = 279
	tagXResolution     = 282
	tagYResolution     = 283
	tagResolutionUnit  = 296
	tagTileOffsets     = 324
	tagTileByteCounts  = 325
)

// TIFF field types.
const (
	typeByte     = 1
	typeShort    = 3
	typeLong     = 4
	typeRational = 5
	typeFloat    = 11
	typeDouble   = 12
)

// maxIFDs bounds the directories followed in one file, so that a corrupt
// chain cannot make the walker run for ever.
const maxIFDs = 10000

// tiffFile is a classic (32-bit offset) TIFF file.
type tiffFile struct {
	r     io.ReaderAt
	size  int64
	bo    binary.ByteOrder
	first int64 // offset of the first directory
}

// tiffPage is one page (full-resolution image directory) of a TIFF file.
type tiffPage struct {
	offset      int64 // of its directory
	info        Info
	photometric uint64
}

func openTIFF(r io.ReaderAt, size int64) (*tiffFile, error) {
	var h [8]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return nil, fmt.Errorf("%w TIFF header", ErrTruncated)
	}
	f := &tiffFile{r: r, size: size}
	switch string(h[:2]) {
	case "II":
		f.bo = binary.LittleEndian
	case "MM":
		f.bo = binary.BigEndian
	default:
		return nil, ErrNotImage
	}
	switch v := f.bo.Uint16(h[2:4]); v {
	case 42:
	case 43:
		return nil, fmt.Errorf("BigTIFF (64-bit TIFF) is %w: save the scans as classic TIFF", ErrUnsupported)
	default:
		return nil, fmt.Errorf("%w: TIFF version %d", ErrNotImage, v)
	}
	f.first = int64(f.bo.Uint32(h[4:8]))
	return f, nil
}

// walk calls fn for each page of the file in order until fn returns false or
// an error. Directories of reduced-resolution images (thumbnails) and
// transparency masks are not pages and are skipped.
func (f *tiffFile) walk(fn func(tiffPage) (bool, error)) error {
	seen := make(map[int64]bool)
	page := 0
	for off := f.first; off != 0; {
		if seen[off] {
			return fmt.Errorf("%w TIFF: the chain of image directories loops back to offset %d", ErrCorrupt, off)
		}
		if len(seen) >= maxIFDs {
			return fmt.Errorf("%w TIFF: more than %d image directories", ErrUnsupported, maxIFDs)
		}
		seen[off] = true
		d, err := f.readIFD(off)
		if err != nil {
			return err
		}
		off = d.next
		sub, err := d.uint(tagNewSubfileType, 0)
		if err != nil {
			return err
		}
		if sub&(1|4) != 0 {
			continue
		}
		page++
		info, err := d.info(page)
		if err != nil {
			return err
		}
		photo, err := d.uint(tagPhotometric, 0)
		if err != nil {
			return err
		}
		more, err := fn(tiffPage{offset: d.offset, info: info, photometric: photo})
		if err != nil || !more {
			return err
		}
	}
	if page == 0 {
		return fmt.Errorf("%w TIFF: no image directory", ErrCorrupt)
	}
	return nil
}

// ifd is one image file directory.
type ifd struct {
	f       *tiffFile
	offset  int64
	entries map[uint16]ifdEntry
	next    int64
}

// ifdEntry is a directory entry: a field's type, count and value or offset.
type ifdEntry struct {
	typ   uint16
	count uint32
	value [4]byte
}

func (f *tiffFile) readIFD(off int64) (*ifd, error) {
	if off < 8 || off+2 > f.size {
		return nil, fmt.Errorf("%w file: image directory at offset %d is past the end (%d bytes)", ErrTruncated, off, f.size)
	}
	var nb [2]byte
	if _, err := f.r.ReadAt(nb[:], off); err != nil {
		return nil, fmt.Errorf("read image directory: %w", err)
	}
	n := int64(f.bo.Uint16(nb[:]))
	end := off + 2 + 12*n + 4
	if end > f.size {
		return nil, fmt.Errorf("%w file: image directory at offset %d ends past the end (%d bytes)", ErrTruncated, off, f.size)
	}
	buf := make([]byte, 12*n+4)
	if _, err := f.r.ReadAt(buf, off+2); err != nil {
		return nil, fmt.Errorf("read image directory: %w", err)
	}
	d := &ifd{f: f, offset: off, entries: make(map[uint16]ifdEntry, n)}
	for i := int64(0); i < n; i++ {
		p := buf[12*i:]
		e := ifdEntry{typ: f.bo.Uint16(p[2:4]), count: f.bo.Uint32(p[4:8])}
		copy(e.value[:], p[8:12])
		d.entries[f.bo.Uint16(p[0:2])] = e
	}
	d.next = int64(f.bo.Uint32(buf[12*n:]))
	return d, nil
}

// raw returns the bytes of a field's values, which are in the entry itself
// when they fit in 4 bytes and elsewhere in the file otherwise.
func (d *ifd) raw(tag uint16, e ifdEntry) ([]byte, error) {
	var size int64
	switch e.typ {
	case typeByte:
		size = 1
	case typeShort:
		size = 2
	case typeLong, typeFloat:
		size = 4
	case typeRational, typeDouble:
		size = 8
	default:
		return nil, fmt.Errorf("%w TIFF: tag %d has field type %d", ErrCorrupt, tag, e.typ)
	}
	n := size * int64(e.count)
	if n <= 4 {
		return e.value[:n], nil
	}
	off := int64(d.f.bo.Uint32(e.value[:]))
	if off+n > d.f.size {
		return nil, fmt.Errorf("%w file: values of tag %d end past the end (%d bytes)", ErrTruncated, tag, d.f.size)
	}
	b := make([]byte, n)
	if _, err := d.f.r.ReadAt(b, off); err != nil {
		return nil, fmt.Errorf("read tag %d: %w", tag, err)
	}
	return b, nil
}

// uints returns the values of an integer field, or nil if it is absent.
func (d *ifd) uints(tag uint16) ([]uint64, error) {
	e, ok := d.entries[tag]
	if !ok {
		return nil, nil
	}
	b, err := d.raw(tag, e)
	if err != nil {
		return nil, err
	}
	bo := d.f.bo
	v := make([]uint64, e.count)
	for i := range v {
		switch e.typ {
		case typeByte:
			v[i] = uint64(b[i])
		case typeShort:
			v[i] = uint64(bo.Uint16(b[2*i:]))
		case typeLong:
			v[i] = uint64(bo.Uint32(b[4*i:]))
		default:
			return nil, fmt.Errorf("%w TIFF: tag %d has field type %d, want an integer", ErrCorrupt, tag, e.typ)
		}
	}
	return v, nil
}

// uint returns the first value of an integer field, or def if it is absent.
func (d *ifd) uint(tag uint16, def uint64) (uint64, error) {
	v, err := d.uints(tag)
	if err != nil || len(v) == 0 {
		return def, err
	}
	return v[0], nil
}

// number returns the first value of a numeric field (rational, float or
// integer), or 0 if it is absent or of another type.
func (d *ifd) number(tag uint16) (float64, error) {
	e, ok := d.entries[tag]
	if !ok || e.count == 0 {
		return 0, nil
	}
	e.count = 1
	b, err := d.raw(tag, e)
	if err != nil {
		return 0, err
	}
	bo := d.f.bo
	switch e.typ {
	case typeRational:
		num, den := bo.Uint32(b), bo.Uint32(b[4:])
		if den == 0 {
			return 0, nil
		}
		return float64(num) / float64(den), nil
	case typeFloat:
		return float64(math.Float32frombits(bo.Uint32(b))), nil
	case typeDouble:
		return math.Float64frombits(bo.Uint64(b)), nil
	case typeShort:
		return float64(bo.Uint16(b)), nil
	case typeLong:
		return float64(bo.Uint32(b)), nil
	}
	return 0, nil
}

// resolution returns the directory's resolution in dots per inch, 0 when it
// records none or only an aspect ratio.
func (d *ifd) resolution() (x, y float64, err error) {
	if x, err = d.number(tagXResolution); err != nil {
		return 0, 0, err
	}
	if y, err = d.number(tagYResolution); err != nil {
		return 0, 0, err
	}
	if y == 0 {
		y = x
	}
	if x == 0 {
		x = y
	}
	unit, err := d.uint(tagResolutionUnit, 2)
	if err != nil {
		return 0, 0, err
	}
	switch unit {
	case 2: // inch
	case 3: // centimetre
		x, y = x*2.54, y*2.54
	default: // no absolute unit
		return 0, 0, nil
	}
	return roundDPI(x), roundDPI(y), nil
}

// info describes the page of this directory and checks that its image data
// lies within the file.
func (d *ifd) info(page int) (Info, error) {
	info := Info{Format: TIFF, Page: page}
	w, err := d.uint(tagImageWidth, 0)
	if err != nil {
		return info, err
	}
	h, err := d.uint(tagImageLength, 0)
	if err != nil {
		return info, err
	}
	if w > math.MaxInt32 || h > math.MaxInt32 {
		return info, fmt.Errorf("%w: %dx%d pixels", ErrTooLarge, w, h)
	}
	info.Width, info.Height = int(w), int(h)
	if info.DPIX, info.DPIY, err = d.resolution(); err != nil {
		return info, err
	}

	comp, err := d.uint(tagCompression, 1)
	if err != nil {
		return info, err
	}
	info.Compression = tiffCompression(comp)
	bps, err := d.uint(tagBitsPerSample, 1)
	if err != nil {
		return info, err
	}
	spp, err := d.uint(tagSamplesPerPixel, 1)
	if err != nil {
		return info, err
	}
	photo, err := d.uint(tagPhotometric, 0)
	if err != nil {
		return info, err
	}
	info.ColorModel = tiffColorModel(photo, bps, spp)
	info.Depth = int(min(bps, 64))
	if err := checkTIFFDepth(info, bps, spp); err != nil {
		return info, err
	}

	if err := d.checkData(); err != nil {
		return info, err
	}
	return info, nil
}

// checkData checks that every strip or tile of the image lies within the file.
func (d *ifd) checkData() error {
	offTag, countTag, what := uint16(tagStripOffsets), uint16(tagStripByteCounts), "strip"
	if _, ok := d.entries[tagTileOffsets]; ok {
		offTag, countTag, what = tagTileOffsets, tagTileByteCounts, "tile"
	}
	offs, err := d.uints(offTag)
	if err != nil {
		return err
	}
	counts, err := d.uints(countTag)
	if err != nil {
		return err
	}
	if len(offs) == 0 {
		return fmt.Errorf("%w TIFF: the image directory has no %s offsets", ErrCorrupt, what)
	}
	if len(counts) != len(offs) {
		return fmt.Errorf("%w TIFF: %d %s offsets but %d byte counts", ErrCorrupt, len(offs), what, len(counts))
	}
	for i, off := range offs {
		if end := off + counts[i]; end > uint64(d.f.size) {
			return fmt.Errorf("%w file: %s %d ends at byte %d, past the end (%d bytes)", ErrTruncated, what, i+1, end, d.f.size)
		}
	}
	return nil
}

func tiffCompression(c uint64) string {
	switch c {
	case 1:
		return "none"
	case 2:
		return "ccitt-rle"
	case 3:
		return "ccitt-g3"
	case 4:
		return "ccitt-g4"
	case 5:
		return "lzw"
	case 6:
		return "ojpeg"
	case 7:
		return "jpeg"
	case 8, 32946:
		return "deflate"
	case 32773:
		return "packbits"
	}
	return fmt.Sprintf("tiff-compression-%d", c)
}

func tiffColorModel(photo, bps, spp uint64) string {
	switch photo {
	case 0, 1:
		if bps == 1 {
			return "bitonal"
		}
		return "gray"
	case 2:
		if spp >= 4 {
			return "rgba"
		}
		return "rgb"
	case 3:
		return "palette"
	case 4:
		return "mask"
	case 5:
		return "cmyk"
	case 6:
		return "ycbcr"
	case 8:
		return "lab"
	}
	return fmt.Sprintf("tiff-photometric-%d", photo)
}

// decodeTIFFPage decodes the page p of the file in r.
func decodeTIFFPage(r *io.SectionReader, p tiffPage) (image.Image, error) {
	img, err := tiff.DecodeAt(r, p.offset)
	if err != nil {
		return nil, err
	}
	// The TIFF 6.0 specification (section 10) has the "white" runs of CCITT
	// data be the 0 bits, black when PhotometricInterpretation is
	// BlackIsZero, as libtiff writes them. The decoder always makes those
	// runs white.
	if strings.HasPrefix(p.info.Compression, "ccitt") && p.photometric == 1 {
		if g, ok := img.(*image.Gray); ok {
			for i := range g.Pix {
				g.Pix[i] = 255 - g.Pix[i]
			}
		}
	}
	return img, nil
}

// Package scan reads scanned page files: TIFF (multi-page), JPEG and PNG, with their resolution.
//
// Inspect reads only the headers of a file; Decode and DecodeBytes decode one
// page. The format is recognised from the file's contents, not its name.
// Corrupt, truncated or absurdly large files give a *PageError, never a panic.
package scan

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Format is the file format of a scan.
type Format string

// The supported formats.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	TIFF Format = "tiff"
)

// Info describes one page of a scan file without decoding its pixels.
type Info struct {
	Format        Format
	Page          int // 1-based page within the file
	Width, Height int
	DPIX, DPIY    float64 // 0 when the file records none
	Compression   string  // e.g. "jpeg", "png", "lzw", "none", "deflate", "packbits", "ccitt-g4"
	ColorModel    string  // "gray", "bitonal", "rgb", "rgba", "cmyk", "palette" ...
	Depth         int     // bits per sample as recorded (1, 8, 16 ...)
}

// Limits on the size of a page, checked before any pixels are decoded so that
// a corrupt or hostile header cannot make the decoder allocate without bound.
const (
	MaxSide   = 30000       // pixels along either side
	MaxPixels = 400_000_000 // pixels in all
)

// Errors that a *PageError may wrap; test with errors.Is.
var (
	ErrNotImage    = errors.New("not a TIFF, JPEG or PNG image")
	ErrUnsupported = errors.New("unsupported")
	ErrTruncated   = errors.New("truncated")
	ErrCorrupt     = errors.New("corrupt")
	ErrTooLarge    = errors.New("image too large")
	ErrNoPage      = errors.New("no such page")
)

// PageError is a failure to read a scan file or one of its pages.
type PageError struct {
	File string // path as given to Inspect or Decode; "" for DecodeBytes
	Page int    // 1-based page; 0 when the error concerns the whole file
	Err  error
}

// Error returns, for example, "scan: tt-so-hoa-p01.tif page 2: truncated LZW data".
func (e *PageError) Error() string {
	var b strings.Builder
	b.WriteString("scan: ")
	if e.File != "" {
		b.WriteString(filepath.Base(e.File))
	}
	if e.Page > 0 {
		if e.File != "" {
			b.WriteByte(' ')
		}
		b.WriteString("page ")
		b.WriteString(strconv.Itoa(e.Page))
	}
	if e.File != "" || e.Page > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *PageError) Unwrap() error { return e.Err }

// IsImageFile reports whether the name has a supported extension (.tif .tiff .jpg .jpeg .png, any case).
func IsImageFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".tif", ".tiff", ".jpg", ".jpeg", ".png":
		return true
	}
	return false
}

// Inspect reads a file's header(s) and returns one Info per page (a multi-page TIFF gives several). It does not decode pixels.
// It fails if any page is unreadable, too large, or (for TIFF) has image data
// past the end of the file.
func Inspect(path string) ([]Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &PageError{File: path, Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &PageError{File: path, Err: err}
	}
	src := source{name: path, r: f, size: st.Size()}
	return src.inspect()
}

// Decode decodes page n (1-based) of the file. Returns the image and its Info.
// The image's type is the decoder's: TIFF gives *image.Gray (also for bitonal
// pages, as 0 and 255), *image.RGBA, *image.CMYK, *image.Paletted ...;
// JPEG gives *image.YCbCr, *image.Gray or *image.CMYK; PNG any of the
// image/png types.
func Decode(path string, page int) (image.Image, Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Info{}, &PageError{File: path, Page: page, Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, Info{}, &PageError{File: path, Page: page, Err: err}
	}
	src := source{name: path, r: f, size: st.Size()}
	return src.decode(page)
}

// DecodeBytes is Decode on file contents already in memory (data is not retained).
func DecodeBytes(data []byte, page int) (image.Image, Info, error) {
	src := source{r: bytes.NewReader(data), size: int64(len(data))}
	return src.decode(page)
}

// source is a scan file open for reading.
type source struct {
	name string // for errors
	r    io.ReaderAt
	size int64
}

func (s source) fail(page int, err error) error {
	return &PageError{File: s.name, Page: page, Err: err}
}

// sniff returns the format of the file from its first bytes.
func (s source) sniff() (Format, error) {
	var h [8]byte
	n, err := s.r.ReadAt(h[:], 0)
	if err != nil && err != io.EOF {
		return "", err
	}
	b := h[:n]
	switch {
	case n == 0:
		return "", fmt.Errorf("%w: the file is empty", ErrNotImage)
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return JPEG, nil
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, nil
	case bytes.HasPrefix(b, []byte("II")) || bytes.HasPrefix(b, []byte("MM")):
		if n >= 4 {
			return TIFF, nil // openTIFF checks the version
		}
	}
	return "", ErrNotImage
}

func (s source) stream() *bufio.Reader {
	return bufio.NewReaderSize(io.NewSectionReader(s.r, 0, s.size), 64<<10)
}

func (s source) inspect() ([]Info, error) {
	format, err := s.sniff()
	if err != nil {
		return nil, s.fail(0, err)
	}
	switch format {
	case TIFF:
		f, err := openTIFF(s.r, s.size)
		if err != nil {
			return nil, s.fail(0, err)
		}
		var infos []Info
		err = f.walk(func(p tiffPage) (bool, error) {
			if err := checkSize(p.info.Width, p.info.Height); err != nil {
				return false, err
			}
			infos = append(infos, p.info)
			return true, nil
		})
		if err != nil {
			return nil, s.fail(len(infos)+1, err)
		}
		return infos, nil
	case JPEG:
		info, err := inspectJPEG(s.stream())
		if err == nil {
			err = checkSize(info.Width, info.Height)
		}
		if err != nil {
			return nil, s.fail(0, err)
		}
		return []Info{info}, nil
	default:
		info, err := inspectPNG(s.stream())
		if err == nil {
			err = checkSize(info.Width, info.Height)
		}
		if err != nil {
			return nil, s.fail(0, err)
		}
		return []Info{info}, nil
	}
}

func (s source) decode(page int) (image.Image, Info, error) {
	if page < 1 {
		return nil, Info{}, s.fail(page, fmt.Errorf("%w: pages are numbered from 1", ErrNoPage))
	}
	format, err := s.sniff()
	if err != nil {
		return nil, Info{}, s.fail(page, err)
	}
	if format == TIFF {
		return s.decodeTIFF(page)
	}
	var info Info
	if format == JPEG {
		info, err = inspectJPEG(s.stream())
	} else {
		info, err = inspectPNG(s.stream())
	}
	if err == nil {
		err = checkSize(info.Width, info.Height)
	}
	if err != nil {
		return nil, Info{}, s.fail(page, err)
	}
	if page != 1 {
		return nil, Info{}, s.fail(page, fmt.Errorf("%w: the file has 1 page", ErrNoPage))
	}
	img, err := safeDecode(info, func() (image.Image, error) {
		if format == JPEG {
			return s.decodeJPEG()
		}
		return png.Decode(s.stream())
	})
	if err != nil {
		return nil, Info{}, s.fail(page, err)
	}
	return img, info, nil
}

func (s source) decodeTIFF(page int) (image.Image, Info, error) {
	f, err := openTIFF(s.r, s.size)
	if err != nil {
		return nil, Info{}, s.fail(page, err)
	}
	var (
		found tiffPage
		n     int
	)
	err = f.walk(func(p tiffPage) (bool, error) {
		n = p.info.Page
		if n == page {
			found = p
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		// A broken directory before the one asked for.
		return nil, Info{}, s.fail(n+1, err)
	}
	if found.offset == 0 {
		return nil, Info{}, s.fail(page, fmt.Errorf("%w: the file has %d page%s", ErrNoPage, n, plural(n)))
	}
	if err := checkSize(found.info.Width, found.info.Height); err != nil {
		return nil, Info{}, s.fail(page, err)
	}
	img, err := safeDecode(found.info, func() (image.Image, error) {
		return decodeTIFFPage(io.NewSectionReader(s.r, 0, s.size), found)
	})
	if err != nil {
		return nil, Info{}, s.fail(page, err)
	}
	return img, found.info, nil
}

// safeDecode runs a third-party decoder, turning its panics into errors,
// checks that the image has the size the header announced, and composites
// transparent pixels on white.
func safeDecode(info Info, decode func() (image.Image, error)) (img image.Image, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("%w %s data: decoder failed: %v", ErrCorrupt, compressionName(info), p)
		}
	}()
	img, err = decode()
	if err != nil {
		return nil, decodeError(info, err)
	}
	if sz := img.Bounds().Size(); sz.X != info.Width || sz.Y != info.Height {
		return nil, fmt.Errorf("%w: header says %dx%d pixels, data gives %dx%d", ErrCorrupt, info.Width, info.Height, sz.X, sz.Y)
	}
	return flatten(img), nil
}

// decodeError classifies an error from a third-party decoder.
func decodeError(info Info, err error) error {
	name := compressionName(info)
	msg := err.Error()
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		strings.Contains(msg, "not enough pixel data") || strings.Contains(msg, "short"):
		return fmt.Errorf("%w %s data", ErrTruncated, name)
	case strings.Contains(msg, "unsupported"):
		return fmt.Errorf("%w %s feature: %v", ErrUnsupported, name, err)
	}
	return fmt.Errorf("%w %s data: %v", ErrCorrupt, name, err)
}

// compressionName is the compression as written in error messages: "LZW data".
func compressionName(info Info) string {
	switch c := info.Compression; c {
	case "", "none":
		if info.Format == TIFF {
			return "uncompressed"
		}
		return string(info.Format)
	case "deflate", "packbits":
		return c
	default:
		return strings.ToUpper(c)
	}
}

// checkSize rejects empty and absurdly large pages.
func checkSize(w, h int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("%w header: image size %dx%d", ErrCorrupt, w, h)
	}
	if w > MaxSide || h > MaxSide || int64(w)*int64(h) > MaxPixels {
		return fmt.Errorf("%w: %dx%d pixels (the limit is %d a side and %d megapixels)",
			ErrTooLarge, w, h, MaxSide, MaxPixels/1_000_000)
	}
	return nil
}

// roundDPI rounds a resolution to 1/100 dpi, so that 11811 pixels per metre
// reads as 300 dpi rather than 299.9994.
func roundDPI(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return math.Round(v*100) / 100
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// decodeJPEG decodes the JPEG file with libjpeg-turbo (several times faster than image/jpeg)
// into the image image/jpeg gives, and with image/jpeg when libjpeg-turbo cannot, so that a
// corrupt file fails with image/jpeg's error.
func (s source) decodeJPEG() (image.Image, error) {
	data := make([]byte, s.size)
	if _, err := s.r.ReadAt(data, 0); err != nil && err != io.EOF {
		return nil, err
	}
	if img, err := decodeJPEGPlanes(data); err == nil {
		return img, nil
	}
	return jpeg.Decode(bytes.NewReader(data))
}

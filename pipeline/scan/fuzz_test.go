package scan

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzHeaders feeds arbitrary bytes to the header readers (TIFF directory
// walker, JPEG markers, PNG chunks): they must never panic, and what they
// accept must be a sane page. Pages small enough are decoded too, which must
// not panic either and must give the announced size. Corpus:
// testdata/fuzz/FuzzHeaders (headers of the samples and crafted files).
func FuzzHeaders(f *testing.F) {
	f.Add([]byte("II*\x00\x08\x00\x00\x00"))
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x00\x00\x00\x00"))
	f.Add([]byte("\xff\xd8\xff\xc0\x00\x0b\x08\x00\x10\x00\x10\x01\x01\x11\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		src := source{r: bytes.NewReader(data), size: int64(len(data))}
		infos, err := src.inspect()
		if err != nil {
			var pe *PageError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *PageError", err)
			}
			return
		}
		if len(infos) == 0 {
			t.Fatal("no page and no error")
		}
		for i, in := range infos {
			if in.Page != i+1 || in.Width <= 0 || in.Height <= 0 || in.Width > MaxSide || in.Height > MaxSide {
				t.Fatalf("page %d accepted with %+v", i+1, in)
			}
			if in.DecodedBytes() <= 0 {
				t.Fatalf("page %d: decoded size %d", i+1, in.DecodedBytes())
			}
		}
		if infos[0].DecodedBytes() > 4<<20 {
			return // keep each run small: the budget check refuses big pages before decoding
		}
		img, info, err := src.decode(1)
		if err == nil && (img.Bounds().Dx() != info.Width || img.Bounds().Dy() != info.Height) {
			t.Fatalf("decoded %v, header says %dx%d", img.Bounds(), info.Width, info.Height)
		}
	})
}

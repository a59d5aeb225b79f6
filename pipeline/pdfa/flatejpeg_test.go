package pdfa

import (
	"bytes"
	"compress/zlib"
	"io"
	"regexp"
	"strconv"
	"testing"
)

// imageStreams returns the filter and the raw data of every image XObject of a PDF written by
// Write, in file order.
func imageStreams(t *testing.T, pdf []byte) (filters []string, raws [][]byte) {
	t.Helper()
	re := regexp.MustCompile(`<<([^>]*/Subtype/Image[^>]*)>>\s*stream\r?\n`)
	for _, m := range re.FindAllSubmatchIndex(pdf, -1) {
		dict := string(pdf[m[2]:m[3]])
		n := regexp.MustCompile(`/Length (\d+)`).FindStringSubmatch(dict)
		f := regexp.MustCompile(`/Filter(\[[^\]]*\]|/\w+)`).FindStringSubmatch(dict)
		if n == nil || f == nil {
			t.Fatalf("image dictionary without Length or Filter: %s", dict)
		}
		l, _ := strconv.Atoi(n[1])
		filters, raws = append(filters, f[1]), append(raws, pdf[m[1]:m[1]+l])
	}
	return filters, raws
}

// TestFlateOverJPEG checks that JPEG page images are stored with Flate over the JPEG stream
// when that saves bytes, and that the stream then holds the same JPEG, byte for byte (so the
// same pixels). Preflight's verdict on such a file is in TestDocument.
func TestFlateOverJPEG(t *testing.T) {
	d := newTestDoc(t)
	_, pdf := writeFile(t, d, PDFA1B)
	filters, raws := imageStreams(t, pdf)
	if len(raws) != len(d.pages) {
		t.Fatalf("%d image streams, want %d", len(raws), len(d.pages))
	}
	flated := 0
	for i, p := range d.pages {
		data := raws[i]
		switch {
		case p.Image.Filter == Flate:
			if filters[i] != "/FlateDecode" {
				t.Errorf("page %d: lossless image stored with %s", i+1, filters[i])
			}
		case filters[i] == "[/FlateDecode/DCTDecode]":
			flated++
			zr, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("page %d: %v", i+1, err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				t.Fatalf("page %d: %v", i+1, err)
			}
			fallthrough
		case filters[i] == "/DCTDecode":
			if !bytes.Equal(data, p.Image.Data) {
				t.Errorf("page %d (%s): the stream does not hold the page's JPEG", i+1, filters[i])
			}
			t.Logf("page %d: JPEG %d bytes, stored %d bytes with %s", i+1, len(p.Image.Data), len(raws[i]), filters[i])
		default:
			t.Errorf("page %d: JPEG stored with %s", i+1, filters[i])
		}
	}
	// The two samples' JPEGs (colour 200 dpi, gray 300 dpi; baseline, optimal tables) shrink
	// by 12% and 13% under zlib (9% and 17% as progressive JPEGs).
	if flated != 2 {
		t.Errorf("%d JPEG pages stored with Flate over the JPEG, want 2", flated)
	}
}

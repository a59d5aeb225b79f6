package pipeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pngHeader is a PNG file of w×h pixels of the given bit depth and colour
// type, at 300 dpi, whose image data is one empty IDAT chunk: enough for
// the header readers, which stop at the image data.
func pngHeader(w, h uint32, depth, colorType byte) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&buf, binary.BigEndian, uint32(len(data)))
		buf.WriteString(typ)
		buf.Write(data)
		binary.Write(&buf, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, depth, colorType, 0, 0, 0)
	chunk("IHDR", ihdr)
	phys := binary.BigEndian.AppendUint32(nil, 11811)
	phys = binary.BigEndian.AppendUint32(phys, 11811)
	chunk("pHYs", append(phys, 1))
	chunk("IDAT", nil)
	chunk("IEND", nil)
	return buf.Bytes()
}

// loopTIFF is a one-strip 8×8 gray TIFF at 300 dpi whose directory chain
// points back at itself.
func loopTIFF() []byte {
	type entry struct {
		tag, typ uint16
		count    uint32
		value    uint32
	}
	const ifd = 8
	entries := []entry{
		{256, 3, 1, 8}, {257, 3, 1, 8}, {258, 3, 1, 8}, {259, 3, 1, 1}, {262, 3, 1, 1},
		{273, 4, 1, 0}, {277, 3, 1, 1}, {279, 4, 1, 64}, {282, 5, 1, 0}, {283, 5, 1, 0}, {296, 3, 1, 2},
	}
	dataOff := uint32(ifd + 2 + 12*len(entries) + 4)
	resOff := dataOff + 64
	entries[5].value, entries[8].value, entries[9].value = dataOff, resOff, resOff
	var b bytes.Buffer
	b.WriteString("II*\x00")
	binary.Write(&b, binary.LittleEndian, uint32(ifd))
	binary.Write(&b, binary.LittleEndian, uint16(len(entries)))
	for _, e := range entries {
		binary.Write(&b, binary.LittleEndian, e)
	}
	binary.Write(&b, binary.LittleEndian, uint32(ifd)) // next directory: itself
	b.Write(bytes.Repeat([]byte{0xff}, 64))
	binary.Write(&b, binary.LittleEndian, [2]uint32{300, 1})
	return b.Bytes()
}

// TestAttackInputs is the suite of crafted page files and file names that
// must be refused at validation, each by one problem naming the file (its
// name escaped for display) and saying what is wrong. Later work must keep it green.
func TestAttackInputs(t *testing.T) {
	good, err := os.ReadFile("../testdata/samples/bb-giao-nhan-p01.jpg")
	if err != nil {
		t.Fatal(err)
	}
	const hs = "H49.64.33.2019.01.VTLT"
	goodPNG := pngHeader(100, 100, 8, 0)
	tests := []struct {
		name     string
		file     string // path of the crafted entry, relative to the batch
		data     []byte
		wantFile string // the problem's File
		want     string // in the problem's What
	}{
		// Item 5: unreadable files are refused at validation.
		{"zero bytes", hs + "/2/p1.png", nil, hs + "/2/p1.png", "empty"},
		{"garbage", hs + "/2/p1.tif", []byte("this is not an image at all, just text"), hs + "/2/p1.tif", "not a TIFF, JPEG or PNG"},
		{"truncated PNG header", hs + "/2/p1.png", goodPNG[:20], hs + "/2/p1.png", "truncated PNG header"},
		{"truncated JPEG header", hs + "/2/p1.jpg", good[:100], hs + "/2/p1.jpg", "truncated JPEG header"},
		{"IFD loop", hs + "/2/p1.tif", loopTIFF(), hs + "/2/p1.tif", "loops back"},
		{"60000 square", hs + "/2/p1.png", pngHeader(60000, 60000, 1, 0), hs + "/2/p1.png", "too large"},
		{"bad PNG depth", hs + "/2/p1.png", pngHeader(100, 100, 3, 2), hs + "/2/p1.png", "bit depth 3"},
		// Item 4: a small file that decodes to gigabytes.
		{"16-bit RGBA bomb", hs + "/2/p1.png", pngHeader(20000, 20000, 16, 6), hs + "/2/p1.png", "over the"},
		{"8-bit RGB bomb", hs + "/2/p1.png", pngHeader(22000, 18000, 8, 2), hs + "/2/p1.png", "over the"},
		// Item 6: names the manifests cannot carry.
		{"CR in a page name", hs + "/2/p\r1.jpg", good, hs + `/2/p\r1.jpg`, "line break"},
		{"LF in a document file name", hs + "/a\nb.jpg", good, hs + `/a\nb.jpg`, "line break"},
		{"control character", hs + "/2/p\x01.jpg", good, hs + `/2/p\x01.jpg`, "control character"},
		{"invalid UTF-8", hs + "/2/p\xff.jpg", good, hs + `/2/p\xff.jpg`, "not valid UTF-8"},
		{"right-to-left override", hs + "/2/gpj.\u202etxt.jpg", good, hs + `/2/gpj.\u202etxt.jpg`, "direction of text"},
		{"tab in a hồ sơ folder", "H49.64.33.2019.02\t.VTLT/1/p1.jpg", good, `H49.64.33.2019.02\t.VTLT`, "control character"},
		{"DEL in a document folder", hs + "/2\x7f/p1.jpg", good, hs + `/2\x7f`, "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write := func(rel string, data []byte) {
				p := filepath.Join(dir, filepath.FromSlash(rel))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write(hs+"/1/p1.jpg", good)
			write(tt.file, tt.data)
			_, err := Load(context.Background(), dir, LoadOptions{DPI: 300, PageBudget: 1 << 30})
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Load = %v, want a *ValidationError", err)
			}
			if len(ve.Problems) != 1 {
				t.Fatalf("%d problems, want 1: %v", len(ve.Problems), ve)
			}
			p := ve.Problems[0]
			if p.File != tt.wantFile || !strings.Contains(p.What, tt.want) {
				t.Errorf("problem %+v, want file %q and %q", p, tt.wantFile, tt.want)
			}
			if msg := ve.Error(); strings.ContainsAny(msg, "\r\x01\x7f\u202e") || !strings.Contains(msg, tt.wantFile) {
				t.Errorf("message not escaped or not naming the file: %q", msg)
			}
		})
	}
}

// TestPageBudget: the decoded size of a page is bounded by a budget derived
// from memory and workers, checked from the header at validation.
func TestPageBudget(t *testing.T) {
	const hs = "H49.64.33.2019.01.VTLT"
	dir := t.TempDir()
	p := filepath.Join(dir, hs, "1", "p1.png")
	os.MkdirAll(filepath.Dir(p), 0o755)
	// 5000×5000 16-bit gray: 50 MB decoded from a file of a few dozen bytes.
	if err := os.WriteFile(p, pngHeader(5000, 5000, 16, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(context.Background(), dir, LoadOptions{PageBudget: 50_000_000}); err != nil {
		t.Errorf("page of exactly the budget refused: %v", err)
	}
	_, err := Load(context.Background(), dir, LoadOptions{PageBudget: 50_000_000 - 1})
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].File != hs+"/1/p1.png" ||
		!strings.Contains(ve.Problems[0].What, "5000x5000 pixels of 2 bytes decode to 48 MB, over the 48 MB") {
		t.Errorf("Load over the budget = %v", err)
	}
}

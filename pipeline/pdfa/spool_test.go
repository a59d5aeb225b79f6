package pdfa

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

// syntheticPages returns pages whose image bytes are fixed (not encoded here,
// so that they do not change with the image coder): a noisy "JPEG" stored as
// DCTDecode, a repetitive one stored as [/FlateDecode /DCTDecode], a
// bitonal Flate image, and a page without words.
func syntheticPages() []Page {
	rng := rand.New(rand.NewPCG(19, 4))
	noisy := make([]byte, 20000)
	for i := range noisy {
		noisy[i] = byte(rng.Uint32())
	}
	runs := bytes.Repeat([]byte("\xff\xd8 sohoa "), 3000)
	bits := bytes.Repeat([]byte{0x78, 0x9c, 0x01}, 100)
	words, nums := layout([]string{"Số: 312/CCVTLT-NVLT ngày 25/6/2025", "giữ gìn bảo quản tài liệu"}, 100, 100, 1000, 40)
	return []Page{
		{Image: Image{Data: noisy, Filter: DCT, Width: 1240, Height: 1754, BitsPerComponent: 8}, DPIX: 150, DPIY: 150, Words: words, Lines: nums},
		{Image: Image{Data: runs, Filter: DCT, Width: 1654, Height: 2339, Gray: true, BitsPerComponent: 8}, DPIX: 200, DPIY: 200, Words: words},
		{Image: Image{Data: bits, Filter: Flate, Width: 2480, Height: 3508, Gray: true, BitsPerComponent: 1}, DPIX: 300, DPIY: 300},
	}
}

var syntheticMeta = Metadata{
	Title:    "Biên bản giao nhận",
	Creator:  "Công ty Cổ phần Cấp nước Sông Hồng",
	Date:     time.Date(2025, 6, 25, 14, 30, 5, 0, time.FixedZone("ICT", 7*3600)),
	Producer: "sohoa 0.1.0",
	Archive:  map[string]string{"fileCode": "H01.2025.01", "docOrdinal": "1"},
}

// TestObjectWriterMatchesPdfcpu: the streaming object writer writes, byte for
// byte, the file that pdfcpu's object model and pdfcpu.WriteIncrement wrote
// from the same pages before it (the SHA-256 was recorded from that writer),
// so nothing changed for readers, validators or earlier signatures.
func TestObjectWriterMatchesPdfcpu(t *testing.T) {
	want := map[Part]string{
		PDFA2B: "f4b9c6bd3b94852fc5a65ff2668a79e41d4bc7960da77abc6e52d945f6d0a112",
		PDFA1B: "3abd2d74e48903c329575c0a2fdd3502e1ccb1dc1660642e56bbde798bf46215",
	}
	for _, part := range []Part{PDFA2B, PDFA1B} {
		var buf bytes.Buffer
		if err := Write(context.Background(), &buf, syntheticPages(), syntheticMeta, Options{Part: part}); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(buf.Bytes())
		if got := hex.EncodeToString(sum[:]); got != want[part] {
			t.Errorf("PDF/A-%s: SHA-256 %s, pdfcpu's writer gave %s", part, got, want[part])
		}
	}
}

// TestSpilledPagesIdentical: a document of many pages whose images are all in
// a spool file is written byte for byte like the same document held in
// memory, and the spool holds every page (none left in memory).
func TestSpilledPagesIdentical(t *testing.T) {
	const n = 60
	base := syntheticPages()
	pages := func() []Page {
		ps := make([]Page, n)
		for i := range ps {
			ps[i] = base[i%len(base)]
			ps[i].Image.Data = bytes.Clone(ps[i].Image.Data)
		}
		return ps
	}
	var mem bytes.Buffer
	if err := Write(context.Background(), &mem, pages(), syntheticMeta, Options{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sp, err := NewSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	spilled := pages()
	var size int64
	for i := range spilled {
		size += int64(len(spilled[i].Image.Data))
		if err := sp.Spill(&spilled[i]); err != nil {
			t.Fatal(err)
		}
	}
	held := 0
	for _, p := range spilled {
		held += len(p.Image.Data)
	}
	if got, bytes := sp.Pages(); got != n || bytes != size || held != 0 {
		t.Fatalf("spool holds %d pages, %d bytes; %d bytes left in memory; want %d pages, %d bytes, none in memory", got, bytes, held, n, size)
	}
	var disk bytes.Buffer
	if err := Write(context.Background(), &disk, spilled, syntheticMeta, Options{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mem.Bytes(), disk.Bytes()) {
		t.Fatalf("spilled build differs from the in-memory build (%d vs %d bytes)", disk.Len(), mem.Len())
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Errorf("spool files left after Close: %v", left)
	}
	if err := Write(context.Background(), &disk, spilled, syntheticMeta, Options{}); err == nil {
		t.Error("Write read pages from a closed spool")
	}
}

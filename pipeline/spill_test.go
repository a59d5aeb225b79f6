package pipeline

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/ocr"
)

// TestProcessSpillsLongDocument: the encoded pages of a document in progress
// held in memory stay within Options.SpillBytes, the others go to a spill
// file in the run's work folder (removed afterwards, never among the
// originals), and the PDF is byte for byte the one built with every page in
// memory.
func TestProcessSpillsLongDocument(t *testing.T) {
	const n = 8
	dir := t.TempDir()
	src := filepath.Join(dir, "H49.64.33.2025.01.LONG", "1", "doc.tif")
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, multiTIFF(longDocPages(t, n), 200), 0o644); err != nil {
		t.Fatal(err)
	}
	pool, err := ocr.NewPool(1, ocr.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	type outcome struct {
		pdf              []byte
		maxHeld, total   int64 // largest encoded bytes in memory at once; all pages' bytes
		spilled, results int
		spilledBytes     int64 // encoded bytes of the pages spilled
	}
	run := func(spill int64) outcome {
		t.Helper()
		b, err := Load(context.Background(), dir, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var o outcome
		var held []*PageResult
		out := t.TempDir()
		onPage := func(ev PageEvent) {
			if ev.Result == nil {
				t.Errorf("page %d failed: %v", ev.Done, ev.Err)
				return
			}
			held = append(held, ev.Result)
			var inMemory int64
			for _, r := range held {
				inMemory += int64(len(r.Image.Data))
			}
			o.maxHeld = max(o.maxHeld, inMemory)
			if ev.Result.Spilled != nil {
				o.spilled++
				o.spilledBytes += ev.Result.Spilled.Size()
				o.total += ev.Result.Spilled.Size()
			} else {
				o.total += int64(len(ev.Result.Image.Data))
			}
			o.results++
		}
		rep, err := Process(context.Background(), b, out, Options{Workers: 1, Engines: pool, SpillBytes: spill,
			Now: func() time.Time { return now }, OnPage: onPage})
		if err != nil {
			t.Fatal(err)
		}
		if rep.DocumentsDone != 1 || rep.PagesDone != n {
			t.Fatalf("%d documents, %d of %d pages done: %+v", rep.DocumentsDone, rep.PagesDone, n, rep.Failures)
		}
		pdfs, _ := filepath.Glob(filepath.Join(rep.Bag, "data", "*", "*.pdf"))
		if len(pdfs) != 1 {
			t.Fatalf("PDFs in the bag: %v", pdfs)
		}
		if o.pdf, err = os.ReadFile(pdfs[0]); err != nil {
			t.Fatal(err)
		}
		// The work folder is gone; nothing but the bag is left in out.
		if left, _ := os.ReadDir(out); len(left) != 1 || left[0].Name() != b.ID {
			t.Errorf("left in the output folder: %v", left)
		}
		return o
	}
	mem := run(-1)
	if mem.spilled != 0 || mem.maxHeld != mem.total || mem.results != n {
		t.Fatalf("without spilling: %d spilled, %d of %d bytes held, %d results", mem.spilled, mem.maxHeld, mem.total, mem.results)
	}
	bound := mem.total / 4
	disk := run(bound)
	t.Logf("%d pages, %d encoded bytes; bound %d: %d pages spilled, at most %d bytes in memory", n, disk.total, bound, disk.spilled, disk.maxHeld)
	if disk.maxHeld > bound {
		t.Errorf("encoded pages in memory reached %d bytes, over the bound of %d", disk.maxHeld, bound)
	}
	// Whatever the pages' sizes (fidelity-targeted coding makes them uneven),
	// what is not held in memory is on disk: at least total - bound bytes.
	if disk.spilled == 0 || disk.spilledBytes < disk.total-bound {
		t.Errorf("%d of %d pages (%d of %d bytes) spilled with a bound of %d", disk.spilled, n, disk.spilledBytes, disk.total, bound)
	}
	if !bytes.Equal(disk.pdf, mem.pdf) {
		t.Errorf("PDF built from spilled pages differs from the in-memory build (%d vs %d bytes)", len(disk.pdf), len(mem.pdf))
	}
	// Nothing was written among the originals.
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && p != src {
			t.Errorf("file written among the originals: %s", p)
		}
		return nil
	})
}

package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
)

// stagingVictim is the original of the one-page documents of these tests.
const stagingVictim = "H49.64.33.2019.01.VTLT/1/p1.jpg"

// sameFile reports whether paths a and b are one file (a hard link).
func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	fa, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(fa, fb)
}

// packageFailed writes, with NewPackager and opts, the package of batch
// dir whose one document failed on its page (no OCR needed: its original
// still goes in), and returns the bag's folder and how many files its
// writer synced.
func packageFailed(t *testing.T, dir string, opts Options) (string, int) {
	t.Helper()
	b, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	opts.Now = func() time.Time { return start }
	pk, err := NewPackager(b, t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer pk.Abort()
	f := b.Files[0]
	d := f.Documents[0]
	failed := &PageError{d.Pages[0].File, 1, StageDecode, errors.New("truncated scan")}
	if err := pk.AddDocument(context.Background(), f, d, []*PageResult{nil}, []error{failed}, nil); err != nil {
		t.Fatal(err)
	}
	rep, err := pk.Finish()
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("Finish = %v, want ErrIncomplete", err)
	}
	return rep.Bag, pk.w.Synced()
}

// TestStagingOnlyWhereSet: Options.Staging changes how NewPackager's
// package is written (its files not synced, the originals linked, not
// copied) and nothing of what is written; without it every file is synced
// and the originals are copies, apart from the batch's; and Process, whose
// package is the product, never stages, even when asked.
func TestStagingOnlyWhereSet(t *testing.T) {
	dir := makeBatch(t, map[string]string{stagingVictim: "@bb-giao-nhan-p01.jpg"})
	src := filepath.Join(dir, filepath.FromSlash(stagingVictim))
	inBag := filepath.Join(bag.PayloadDir, "originals", filepath.FromSlash(stagingVictim))

	durable, synced := packageFailed(t, dir, Options{})
	files := 0
	filepath.WalkDir(durable, func(_ string, de os.DirEntry, err error) error {
		if err == nil && !de.IsDir() {
			files++
		}
		return err
	})
	if files != 8 || synced != files {
		t.Errorf("package: %d of %d files synced, want 8 of 8", synced, files)
	}
	if sameFile(t, src, filepath.Join(durable, inBag)) {
		t.Error("package: the original is a link to the batch's, not a copy")
	}

	staged, synced := packageFailed(t, dir, Options{Staging: true})
	if synced != 0 {
		t.Errorf("staging package: %d files synced, want none", synced)
	}
	if !sameFile(t, src, filepath.Join(staged, inBag)) {
		t.Error("staging package: the original was copied, not linked")
	}
	for _, name := range []string{bag.ManifestFile, bag.TagManifestFile, bag.InfoFile, bag.BatchRecordFile, inBag} {
		a, err := os.ReadFile(filepath.Join(durable, name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(staged, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(a) != string(b) {
			t.Errorf("%s differs between the package and the staging package", name)
		}
	}

	// Process: the one page is a truncated scan, which fails before OCR.
	good, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, good[:len(good)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pool, err := ocr.NewPool(1, ocr.Options{Languages: "vie"})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	rep, err := Process(context.Background(), b, t.TempDir(), Options{Workers: 1, Engines: pool, Staging: true})
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("Process = %v, want ErrIncomplete", err)
	}
	if sameFile(t, src, filepath.Join(rep.Bag, inBag)) {
		t.Error("Process staged its package: the original is a link to the batch's")
	}
}

// TestStagingChangedOriginal: in a staging package, as in any, an original
// that changed after its page was processed fails its document: the
// digest compared is of the bytes linked into the package.
func TestStagingChangedOriginal(t *testing.T) {
	dir := makeBatch(t, map[string]string{stagingVictim: "@bb-giao-nhan-p01.jpg"})
	b, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, filepath.FromSlash(stagingVictim))
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	f := b.Files[0]
	d := f.Documents[0]
	res := &PageResult{Page: d.Pages[0], Original: Original{File: stagingVictim, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}, OCR: &ocr.Result{}}
	data[len(data)-1] ^= 1 // the scan changed after it was processed
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	pk, err := NewPackager(b, t.TempDir(), Options{Staging: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pk.Abort()
	if err := pk.AddDocument(context.Background(), f, d, []*PageResult{res}, []error{nil}, nil); err != nil {
		t.Fatal(err)
	}
	rep, err := pk.Finish()
	if !errors.Is(err, ErrIncomplete) || rep.DocumentsDone != 0 || len(rep.Failures) != 1 {
		t.Fatalf("Finish = %v, %+v; want the document failed", err, rep)
	}
	if fl := rep.Failures[0]; fl.File != stagingVictim || fl.Stage != StagePackage || !strings.Contains(fl.Reason, "changed while it was processed") {
		t.Errorf("failure %+v", fl)
	}
	if probs, err := bag.Validate(rep.Bag); err != nil || len(probs) != 0 {
		t.Errorf("staging package: %v %v", probs, err)
	}
}

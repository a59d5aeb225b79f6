package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/ocr/accuracy"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
)

func TestMain(m *testing.M) {
	testenv.Main(m, func() {
		if sampleOut != "" {
			os.RemoveAll(sampleOut)
		}
	})
}

// truth is ../testdata/samples/truth.json.
type truth map[string]struct {
	Skew     float64 `json:"skew_deg"`
	Rotation int     `json:"rotation_deg"`
	DPI      float64 `json:"dpi"`
	File     string  `json:"file"`
}

func readTruth(t *testing.T) truth {
	t.Helper()
	data, err := os.ReadFile("../testdata/samples/truth.json")
	if err != nil {
		t.Fatal(err)
	}
	var tr truth
	if err := json.Unmarshal(data, &tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

// sampleName returns the sample a batch page file is (a link into testdata/samples).
func sampleName(t *testing.T, batchDir, file string) string {
	t.Helper()
	real, err := filepath.EvalSymlinks(filepath.Join(batchDir, file))
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Base(real)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

var (
	sampleOnce sync.Once
	sampleOut  string
	sampleRep  *Report
	sampleErr  error
)

// processSample processes the demo batch once for all tests that inspect its package.
func processSample(t *testing.T) (string, *Report) {
	t.Helper()
	sampleOnce.Do(func() {
		out, err := os.MkdirTemp("", "sohoa-sample-")
		if err != nil {
			sampleErr = err
			return
		}
		b, err := Load(context.Background(), sampleBatch, LoadOptions{})
		if err != nil {
			sampleErr = err
			return
		}
		sampleOut = out
		// Dropout as configured by default (ocr.dropout: red,blue). Every page is
		// spilled (SpillBytes 1), so the conformance and text-layer tests check
		// PDFs written from spill files.
		sampleRep, sampleErr = Process(context.Background(), b, out, Options{Workers: 2, Producer: "sohoa test", Dropout: ocr.InkRed | ocr.InkBlue, SpillBytes: 1})
	})
	if sampleErr != nil {
		t.Fatal(sampleErr)
	}
	return filepath.Join(sampleOut, sampleRep.BatchID), sampleRep
}

func readRecord(t *testing.T, bagDir string) *batchRecord {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(bagDir, filepath.FromSlash(bag.BatchRecordFile)))
	if err != nil {
		t.Fatal(err)
	}
	var rec batchRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	return &rec
}

func pdftotext(t *testing.T, file string) string {
	t.Helper()
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", file, err)
	}
	return string(out)
}

func TestProcessSampleBatch(t *testing.T) {
	dir, rep := processSample(t)
	if !rep.Complete || rep.DocumentsDone != 4 || rep.PagesDone != 4 || len(rep.Failures) != 0 {
		t.Fatalf("report = %+v", rep)
	}
	probs, err := bag.Validate(dir)
	if err != nil || len(probs) != 0 {
		t.Fatalf("bag not valid: %v %v", probs, err)
	}
	info, err := bag.ReadInfo(filepath.Join(dir, bag.InfoFile))
	if err != nil {
		t.Fatal(err)
	}
	for label, want := range map[string]string{
		"Source-Organization": "Sở Nội vụ tỉnh Bắc Minh", "External-Identifier": "demo-2025-001",
		BagStatusLabel: "complete", "Payload-Oxum": "",
	} {
		if got := info.Get(label); got == "" || (want != "" && got != want) {
			t.Errorf("bag-info %s = %q, want %q", label, got, want)
		}
	}
	for _, name := range []string{bag.DeclarationFile, bag.ManifestFile, bag.TagManifestFile, bag.BatchRecordFile,
		"data/H49.64.33.2024.01.VTLT/H49.64.33.2024.01.VTLT.1.pdf", "data/H49.64.33.2024.01.VTLT/H49.64.33.2024.01.VTLT.2.txt",
		"data/H49.64.33.2025.02.VTLT/H49.64.33.2025.02.VTLT.2.pdf", "data/H49.64.33.2024.01.VTLT/H49.64.33.2024.01.VTLT.1.alto.xml", "data/originals/H49.64.33.2025.02.VTLT/01-cv-giao-nop.png"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("package lacks %s", name)
		}
	}
}

func TestSampleTextAccuracy(t *testing.T) {
	dir, _ := processSample(t)
	rec := readRecord(t, dir)
	for _, f := range rec.Files {
		for _, d := range f.Documents {
			if d.Status != "done" {
				t.Errorf("%s: status %s %s", d.Source, d.Status, d.Error)
				continue
			}
			name := sampleName(t, sampleBatch, d.Pages[0].File)
			gt, err := os.ReadFile(filepath.Join("../testdata/samples", name+".gt.txt"))
			if err != nil {
				t.Fatal(err)
			}
			got := pdftotext(t, filepath.Join(dir, filepath.FromSlash(d.PDF)))
			cer := accuracy.CER(got, string(gt))
			t.Logf("%s (%s): CER %.2f%%, OCR confidence %.1f", name, d.PDF, 100*cer, d.MeanConfidence)
			if cer > 0.01 {
				t.Errorf("%s: character error rate %.2f%% > 1%%\ngot:  %s\nwant: %s", name, 100*cer, accuracy.Fold(got), accuracy.Fold(string(gt)))
			}
			txt, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(d.Text)))
			if err != nil {
				t.Fatal(err)
			}
			if c := accuracy.CER(string(txt), string(gt)); c > 0.01 {
				t.Errorf("%s: text sidecar CER %.2f%%", name, 100*c)
			}
		}
	}
}

func TestSampleGeometry(t *testing.T) {
	dir, _ := processSample(t)
	rec := readRecord(t, dir)
	tr := readTruth(t)
	n := 0
	for _, f := range rec.Files {
		for _, d := range f.Documents {
			for _, p := range d.Pages {
				name := sampleName(t, sampleBatch, p.File)
				want, ok := tr[name]
				if !ok || p.Geometry == nil {
					t.Errorf("%s: no truth or no geometry (%+v)", p.File, p)
					continue
				}
				n++
				t.Logf("%s: orientation %d (truth %d), skew %.2f° (truth %.2f°), dpi %v", name, p.Geometry.Orientation, want.Rotation, p.Geometry.Skew, want.Skew, p.DPI)
				if p.Geometry.Orientation != want.Rotation {
					t.Errorf("%s: orientation %d, want %d", name, p.Geometry.Orientation, want.Rotation)
				}
				if math.Abs(p.Geometry.Skew-want.Skew) > 0.3 {
					t.Errorf("%s: skew %.2f°, want %.2f° ± 0.3°", name, p.Geometry.Skew, want.Skew)
				}
				if p.DPI != want.DPI {
					t.Errorf("%s: dpi %v, want %v", name, p.DPI, want.DPI)
				}
			}
		}
	}
	if n != 4 {
		t.Errorf("%d pages checked, want 4", n)
	}
}

func TestOriginalsUntouchedAndInBag(t *testing.T) {
	dir, _ := processSample(t)
	rec := readRecord(t, dir)
	if len(rec.Originals) != 4 {
		t.Fatalf("%d originals recorded", len(rec.Originals))
	}
	for _, o := range rec.Originals {
		src, err := os.ReadFile(filepath.Join(sampleBatch, filepath.FromSlash(o.File)))
		if err != nil {
			t.Fatal(err)
		}
		copied, err := os.ReadFile(filepath.Join(dir, "data", "originals", filepath.FromSlash(o.File)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(src)
		if hex.EncodeToString(sum[:]) != o.SHA256 || !bytes.Equal(src, copied) {
			t.Errorf("%s: original changed or copied wrongly", o.File)
		}
	}
}

func TestRerunRefusesFinishedBag(t *testing.T) {
	dir, _ := processSample(t)
	b, err := Load(context.Background(), sampleBatch, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, bag.TagManifestFile))
	_, err = Process(context.Background(), b, filepath.Dir(dir), Options{Workers: 1})
	if !errors.Is(err, bag.ErrExists) {
		t.Fatalf("re-run over a finished bag: err = %v, want bag.ErrExists", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, bag.TagManifestFile))
	if !bytes.Equal(before, after) {
		t.Error("finished bag changed by a refused re-run")
	}
}

func TestCorruptPageFailsOnlyItsDocument(t *testing.T) {
	good, err := os.ReadFile("../testdata/samples/bb-giao-nhan-p01.jpg")
	if err != nil {
		t.Fatal(err)
	}
	dir := makeBatch(t, map[string]string{
		"H49.64.33.2019.01.VTLT/1/p1.jpg": string(good),
		"H49.64.33.2019.01.VTLT/2/p1.jpg": string(good[:len(good)/3]), // truncated scan
	})
	b, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	rep, err := Process(context.Background(), b, out, Options{Workers: 2})
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("err = %v, want ErrIncomplete", err)
	}
	if rep.DocumentsDone != 1 || len(rep.Failures) != 1 {
		t.Fatalf("report = %+v", rep)
	}
	f := rep.Failures[0]
	if f.File != "H49.64.33.2019.01.VTLT/2/p1.jpg" || f.Page != 1 || f.Stage != StageDecode || f.Reason == "" {
		t.Errorf("failure = %+v", f)
	}
	bagDir := filepath.Join(out, b.ID)
	if probs, _ := bag.Validate(bagDir); len(probs) != 0 {
		t.Errorf("bag of an incomplete batch is not valid: %v", probs)
	}
	if _, err := os.Stat(filepath.Join(bagDir, "data/H49.64.33.2019.01.VTLT/H49.64.33.2019.01.VTLT.2.pdf")); err == nil {
		t.Error("failed document has a PDF in the bag")
	}
	if _, err := os.Stat(filepath.Join(bagDir, "data/originals/H49.64.33.2019.01.VTLT/2/p1.jpg")); err != nil {
		t.Error("failed document's original is not kept in the bag")
	}
	info, _ := bag.ReadInfo(filepath.Join(bagDir, bag.InfoFile))
	if info.Get(BagStatusLabel) != "incomplete" {
		t.Errorf("bag-info status %q, want incomplete", info.Get(BagStatusLabel))
	}
	// An incomplete bag is replaced by a new run without --overwrite.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := Process(ctx, b, out, Options{Workers: 2}); !errors.Is(err, ErrIncomplete) {
		t.Errorf("re-run over an incomplete bag: %v", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 1 {
		t.Errorf("re-run left extra folders: %v", entries)
	}
}

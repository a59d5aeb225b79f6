package pipeline

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sohoa-vn/sohoa/ocr/accuracy"
	"github.com/sohoa-vn/sohoa/pipeline/pades"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa/pdfatest"
)

// callCount counts the PDFs a signer signs in memory and in place.
type callCount struct {
	PDFSigner
	mu           sync.Mutex
	bytes, files int
}

func (c *callCount) SignPDF(ctx context.Context, pdf []byte, org string) ([]byte, error) {
	c.mu.Lock()
	c.bytes++
	c.mu.Unlock()
	return c.PDFSigner.SignPDF(ctx, pdf, org)
}

func (c *callCount) SignPDFFile(ctx context.Context, f *os.File, org string) error {
	c.mu.Lock()
	c.files++
	c.mu.Unlock()
	return c.PDFSigner.SignPDFFile(ctx, f, org)
}

var (
	sigBBoxPage = regexp.MustCompile(`<page width="([\d.]+)" height="([\d.]+)">`)
	sigBBoxWord = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)
)

// TestSignedSampleBatchPKCS11 processes the sample batch as PDF/A-1b, signed
// through a key on a SoftHSM2 token initialised here, and checks every PDF
// with the archive's tools: pdfsig (valid, whole document, CAdES), PDFBox
// Preflight (still PDF/A-1b), qpdf --check, pdftotext (the OCR text
// unchanged beside the signature's two lines) and pdftotext -bbox (the
// signature text on page 1, right of 55% of the width, above 15% of the
// height).
func TestSignedSampleBatchPKCS11(t *testing.T) {
	key, roots, _ := devToken(t, "2468")

	ctx := context.Background()
	b, err := Load(ctx, sampleBatch, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	signer := &callCount{PDFSigner: &pades.Signer{Key: key, Opts: pades.Options{Roots: roots, Location: "Bắc Minh"}}}
	// Every page spilled (SpillBytes 1): the signed PDFs are written from spill files.
	rep, err := Process(ctx, b, out, Options{Workers: 2, Producer: "sohoa test", PDF: pdfa.Options{Part: pdfa.PDFA1B}, SpillBytes: 1,
		Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(out, rep.BatchID)
	rec := readRecord(t, dir)
	docs := 0
	defer func() {
		// Each PDF was signed in its file, never read into memory to be signed.
		if signer.files != docs || signer.bytes != 0 {
			t.Errorf("%d documents; %d signed in place, %d in memory; want all in place", docs, signer.files, signer.bytes)
		}
	}()
	for _, f := range rec.Files {
		for _, d := range f.Documents {
			if d.Status != "done" {
				t.Errorf("%s: %s %s", d.Source, d.Status, d.Error)
				continue
			}
			docs++
			file := filepath.Join(dir, filepath.FromSlash(d.PDF))
			t.Run(filepath.Base(d.PDF), func(t *testing.T) {
				sig := pdfatest.Tool(t, "pdfsig", file)
				for _, want := range []string{"Signature is Valid", "Total document signed", "Signature Type: ETSI.CAdES.detached"} {
					if !strings.Contains(sig, want) {
						t.Errorf("pdfsig: no %q:\n%s", want, sig)
					}
				}
				if r, ok := pdfatest.Preflight(t, file); !ok {
					t.Errorf("Preflight: the signed PDF/A-1b is not valid:\n%s", r)
				}
				pdfatest.QPDFCheck(t, file)
				var kept []string
				for _, l := range strings.Split(pdftotext(t, file), "\n") {
					if !strings.HasPrefix(l, "Ký bởi: ") && !strings.HasPrefix(l, "Thời gian ký: ") {
						kept = append(kept, l)
					}
				}
				txt, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(d.Text)))
				if err != nil {
					t.Fatal(err)
				}
				if got, want := accuracy.Fold(strings.Join(kept, "\n")), accuracy.Fold(string(txt)); got != want {
					t.Errorf("pdftotext without the signature lines differs from the OCR text:\n%s", firstDiff(got, want))
				}
				bbox, err := exec.Command("pdftotext", "-f", "1", "-l", "1", "-bbox", file, "-").Output()
				if err != nil {
					t.Fatal(err)
				}
				pm := sigBBoxPage.FindStringSubmatch(string(bbox))
				w, _ := strconv.ParseFloat(pm[1], 64)
				h, _ := strconv.ParseFloat(pm[2], 64)
				found := map[string]bool{}
				for _, m := range sigBBoxWord.FindAllStringSubmatch(string(bbox), -1) {
					x0, _ := strconv.ParseFloat(m[1], 64)
					y1, _ := strconv.ParseFloat(m[4], 64)
					if x0 > 0.55*w && y1 < 0.15*h {
						found[m[5]] = true
					}
				}
				for _, want := range []string{"Ký", "bởi:", "Nội", "Minh", "Thời", "ký:"} {
					if !found[want] {
						t.Errorf("pdftotext -bbox: %q not top right of page 1 (page %vx%v)", want, w, h)
					}
				}
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				if r := pades.Verify(d.PDF, data, pades.VerifyOptions{Roots: roots}); !r.OK() {
					t.Errorf("pades.Verify: %v", r.Problems)
				}
			})
		}
	}
	if docs != 4 {
		t.Errorf("%d documents checked, want 4", docs)
	}
}

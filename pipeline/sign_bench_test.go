package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/pades"
)

// timedSigner measures the time spent in a real signer.
type timedSigner struct {
	s     PDFSigner
	mu    sync.Mutex
	spent time.Duration
	n     int
}

// timed runs sign and adds its time to the signer's.
func (t *timedSigner) timed(sign func()) {
	t0 := time.Now()
	sign()
	t.mu.Lock()
	t.spent += time.Since(t0)
	t.n++
	t.mu.Unlock()
}

func (t *timedSigner) SignPDF(ctx context.Context, pdf []byte, org string) (out []byte, err error) {
	t.timed(func() { out, err = t.s.SignPDF(ctx, pdf, org) })
	return out, err
}

func (t *timedSigner) SignPDFFile(ctx context.Context, f *os.File, org string) (err error) {
	t.timed(func() { err = t.s.SignPDFFile(ctx, f, org) })
	return err
}

// BenchmarkSigning processes the four sample pages (one document each)
// unsigned, then signed through a SoftHSM2 token, in the same run, and
// reports the signing time per document, the processing time per document,
// signing's share of it, and the bytes a signature adds to a file
// (targets: at most 5% and 20 KB).
func BenchmarkSigning(b *testing.B) {
	dir := sizeBatch(b)
	batch, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	key, _, _ := devToken(b, "1234")
	var procTime, signTime time.Duration
	var added, files, docs int64
	for i := 0; i < b.N; i++ {
		plainOut, signedOut := b.TempDir(), b.TempDir()
		t0 := time.Now()
		if _, err := Process(context.Background(), batch, plainOut, Options{Workers: 2, Producer: "sohoa bench"}); err != nil {
			b.Fatal(err)
		}
		procTime += time.Since(t0)
		ts := &timedSigner{s: &pades.Signer{Key: key}}
		if _, err := Process(context.Background(), batch, signedOut, Options{Workers: 2, Producer: "sohoa bench", Signer: ts}); err != nil {
			b.Fatal(err)
		}
		signTime += ts.spent
		docs += int64(ts.n)
		pdfs, _ := filepath.Glob(filepath.Join(plainOut, batch.ID, "data", "*", "*.pdf"))
		for _, p := range pdfs {
			rel, _ := filepath.Rel(plainOut, p)
			a, err1 := os.Stat(p)
			s, err2 := os.Stat(filepath.Join(signedOut, rel))
			if err1 != nil || err2 != nil {
				b.Fatal(err1, err2)
			}
			added += s.Size() - a.Size()
			files++
		}
	}
	if docs == 0 || files == 0 {
		b.Fatal("nothing signed")
	}
	perDoc := float64(procTime.Milliseconds()) / float64(docs)
	sign := float64(signTime.Microseconds()) / 1000 / float64(docs)
	b.ReportMetric(perDoc, "process-ms/doc")
	b.ReportMetric(sign, "sign-ms/doc")
	b.ReportMetric(100*sign/perDoc, "sign-%")
	b.ReportMetric(float64(added)/float64(files), "bytes-added/file")
}

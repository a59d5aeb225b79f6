package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/pades"
)

// TestTokenPulledMidBatch signs through a real SoftHSM2 token and pulls it
// out after the first document: the other documents fail at the sign stage
// with the reason, the package is incomplete (never complete with unsigned
// files), and a new run once the token is back finishes every document, each
// PDF signed.
func TestTokenPulledMidBatch(t *testing.T) {
	good, err := os.ReadFile("../testdata/samples/bb-giao-nhan-p01.jpg")
	if err != nil {
		t.Fatal(err)
	}
	dir := makeBatch(t, map[string]string{
		"H49.64.33.2019.01.VTLT/1/p1.jpg": string(good),
		"H49.64.33.2019.01.VTLT/2/p1.jpg": string(good),
		"H49.64.33.2019.01.VTLT/3/p1.jpg": string(good),
	})
	b, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	key, roots, hsm := devToken(t, "4321")
	signer := &pades.Signer{Key: key, Opts: pades.Options{Roots: roots}}
	tokens, unplugged := filepath.Join(hsm, "tokens"), filepath.Join(hsm, "unplugged")

	out := t.TempDir()
	opts := Options{Workers: 1, Signer: signer, OnPage: func(e PageEvent) {
		if e.Done == 2 { // the first document is signed; pull the token out
			if err := os.Rename(tokens, unplugged); err != nil {
				t.Error(err)
			}
		}
	}}
	rep, err := Process(context.Background(), b, out, opts)
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("with the token pulled out: %v, want ErrIncomplete", err)
	}
	if rep.Complete || rep.DocumentsDone != 1 || len(rep.Failures) != 2 {
		t.Fatalf("report: complete %v, %d done, failures %+v", rep.Complete, rep.DocumentsDone, rep.Failures)
	}
	for _, f := range rep.Failures {
		if f.Stage != StageSign || !strings.Contains(f.Reason, `token "sohoa-dev"`) || !strings.Contains(f.Reason, "signing key unavailable") {
			t.Errorf("failure %+v: want stage sign naming the token and saying the key is unavailable", f)
		}
	}
	bagDir := filepath.Join(out, b.ID)
	info, _ := bag.ReadInfo(filepath.Join(bagDir, bag.InfoFile))
	if info.Get(BagStatusLabel) != "incomplete" {
		t.Errorf("bag status %q, want incomplete", info.Get(BagStatusLabel))
	}
	for _, n := range []int{2, 3} {
		if _, err := os.Stat(filepath.Join(bagDir, "data/H49.64.33.2019.01.VTLT", PDFName("H49.64.33.2019.01.VTLT", n))); err == nil {
			t.Errorf("document %d has a PDF though it could not be signed", n)
		}
	}

	// The token is back: a new run finishes the batch, every PDF signed.
	if err := os.Rename(unplugged, tokens); err != nil {
		t.Fatal(err)
	}
	opts.OnPage = nil
	rep, err = Process(context.Background(), b, out, opts)
	if err != nil || !rep.Complete || rep.DocumentsDone != 3 {
		t.Fatalf("after the token came back: %v, %+v", err, rep)
	}
	res, err := pades.VerifyDir(bagDir, pades.VerifyOptions{Roots: roots})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 {
		t.Fatalf("%d PDFs in the package, want 3", len(res))
	}
	for _, r := range res {
		if !r.OK() {
			t.Errorf("%s: %v", r.File, r.Problems)
		}
	}
	if got := pades.Summary(res); !strings.HasPrefix(got, "3/3 tệp có chữ ký hợp lệ của Sở Nội vụ tỉnh Bắc Minh") {
		t.Errorf("summary %q", got)
	}
}

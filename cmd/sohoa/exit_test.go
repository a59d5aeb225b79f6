package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/handover/handovertest"
)

// onlyLanguage makes a tessdata folder holding only vie (and osd) and points
// Tesseract at it, so that any other language is surely missing.
func onlyLanguage(t *testing.T) {
	t.Helper()
	const system = "/usr/share/tesseract-ocr/5/tessdata"
	dir := t.TempDir()
	for _, f := range []string{"vie.traineddata", "osd.traineddata"} {
		if err := os.Symlink(filepath.Join(system, f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("%s: %v (install tesseract-ocr-vie: scripts/deps.sh)", f, err)
		}
	}
	t.Setenv("TESSDATA_PREFIX", dir)
}

// TestProcessMissingLanguage is issue 10 item 6: --lang vie+fra without
// fra.traineddata stops before any work with exit status 2, naming fra.
func TestProcessMissingLanguage(t *testing.T) {
	onlyLanguage(t)
	t.Setenv("SOHOA_SEAL_KEYFILE", "")
	t.Setenv("SOHOA_SEAL_CERTFILE", "")
	out := t.TempDir()
	code, stdout, stderr := sohoa(t, "process", "../../testdata/batch", "--out", out, "--lang", "vie+fra", "--quiet")
	if code != exitUsage || !strings.Contains(stderr, "language fra not installed: no fra.traineddata") {
		t.Errorf("--lang vie+fra: exit %d, want %d naming fra\n%s%s", code, exitUsage, stdout, stderr)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("--lang vie+fra wrote %d entries in the output folder", len(ents))
	}
}

// TestProcessExitCodes is issue 10 item 7: usage and environment problems
// exit 2, never 1 ("some documents failed").
func TestProcessExitCodes(t *testing.T) {
	t.Setenv("SOHOA_SEAL_KEYFILE", "")
	t.Setenv("SOHOA_SEAL_CERTFILE", "")
	out := t.TempDir()
	// A finished bag of the sample batch is already in the output folder.
	handovertest.MakeBag(t, filepath.Join(out, "demo-2025-001"), "demo-2025-001", 2)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"missing batch folder", []string{"process", filepath.Join(t.TempDir(), "không-có"), "--out", t.TempDir()}, "no such file or directory"},
		{"validate a missing batch folder", []string{"validate", filepath.Join(t.TempDir(), "không-có")}, "no such file or directory"},
		{"finished bag there", []string{"process", "../../testdata/batch", "--out", out, "--quiet"}, "a finished bag is already there"},
		{"negative --dpi", []string{"process", "../../testdata/batch", "--out", t.TempDir(), "--dpi", "-5", "--quiet"}, "--dpi -5"},
		{"negative --workers", []string{"process", "../../testdata/batch", "--out", t.TempDir(), "--workers", "-1", "--quiet"}, "--workers -1"},
		{"unknown --pdfa", []string{"process", "../../testdata/batch", "--out", t.TempDir(), "--pdfa", "3z", "--quiet"}, "pdf.part"},
	} {
		code, stdout, stderr := sohoa(t, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, want %d and %q\n%s%s", c.name, code, exitUsage, c.want, stdout, stderr)
		}
	}
}

// cancelOnPage is a stderr that cancels the run when the first page is logged.
type cancelOnPage struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	cancel context.CancelFunc
}

func (w *cancelOnPage) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if bytes.Contains(p, []byte("msg=page ")) {
		w.cancel()
	}
	return w.buf.Write(p)
}

// TestProcessInterrupted is issue 10 item 7: Ctrl-C (the context cancelled
// after the first page) exits 130 and leaves no bag behind.
func TestProcessInterrupted(t *testing.T) {
	t.Setenv("SOHOA_SEAL_KEYFILE", "")
	t.Setenv("SOHOA_SEAL_CERTFILE", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &cancelOnPage{cancel: cancel}
	out := t.TempDir()
	var stdout bytes.Buffer
	code := run(ctx, []string{"process", "../../testdata/batch", "--out", out, "--workers", "1"}, &stdout, stderr)
	if code != exitInterrupted || !strings.Contains(stderr.buf.String(), "interrupted") {
		t.Errorf("interrupted run: exit %d, want %d\n%s%s", code, exitInterrupted, stdout.String(), stderr.buf.String())
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("interrupted run left %d entries in the output folder: %v", len(ents), ents)
	}
}

// TestProgressInterrupted is issue 10 item 7: the progress bar stays where an
// interrupted run stopped, and is filled only by a finished one.
func TestProgressInterrupted(t *testing.T) {
	for _, interrupted := range []bool{true, false} {
		var buf bytes.Buffer
		p := &progress{w: &buf, bar: newPagesBar(&buf, 4)}
		p.page(pipeline.PageEvent{Done: 1, Total: 4})
		p.finish(interrupted)
		want := 1
		if !interrupted {
			want = 4
		}
		if st := p.bar.State(); st.CurrentNum != int64(want) {
			t.Errorf("interrupted=%v: bar at %d of 4 (%.0f%%), want %d", interrupted, st.CurrentNum, st.CurrentPercent*100, want)
		}
	}
}

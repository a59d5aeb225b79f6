package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func sohoa(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsage(t *testing.T) {
	if code, _, _ := sohoa(t); code != exitUsage {
		t.Errorf("no arguments: exit %d", code)
	}
	if code, _, errOut := sohoa(t, "frobnicate"); code != exitUsage || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, %q", code, errOut)
	}
	if code, out, _ := sohoa(t, "version"); code != exitOK || !strings.HasPrefix(out, "sohoa "+Version) {
		t.Errorf("version: exit %d, %q", code, out)
	}
	if code, _, errOut := sohoa(t, "process", "--help"); code != exitOK || !strings.Contains(errOut, "--out") {
		t.Errorf("process --help: exit %d, %q", code, errOut)
	}
	if code, _, _ := sohoa(t, "process", "../../testdata/batch"); code != exitUsage {
		t.Errorf("process without --out: exit %d", code)
	}
}

func TestValidateListsProblems(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "H49.64.33.2019.01.VTLT"), 0o755)
	os.WriteFile(filepath.Join(dir, "batch.json"), []byte(`{"files": [{"fileCode": "H49.64.33.2019.01.VTLT", "mode": "9"}]}`), 0o644)
	code, _, errOut := sohoa(t, "validate", dir)
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d\n%s", code, exitInvalid, errOut)
	}
	for _, want := range []string{`files[0].mode = "9": not an allowed code`, "paperFileCode", "hồ sơ folder holds no document"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if code, out, _ := sohoa(t, "validate", "../../testdata/batch"); code != exitOK || !strings.Contains(out, "4 documents, 4 pages") {
		t.Errorf("sample batch: exit %d, %q", code, out)
	}
}

func TestProcessAndVerifyBag(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := sohoa(t, "process", "../../testdata/batch", "--out", out, "--workers", "2", "--quiet")
	if code != exitOK {
		t.Fatalf("process: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"batch demo-2025-001: complete", "documents  4 of 4 done", "pages/min", filepath.Join(out, "demo-2025-001")} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	bagDir := filepath.Join(out, "demo-2025-001")
	if code, stdout, _ := sohoa(t, "verify-bag", bagDir); code != exitOK || !strings.Contains(stdout, "valid bag") {
		t.Errorf("verify-bag: exit %d %s", code, stdout)
	}

	// A second run refuses to touch the finished bag.
	code, _, stderr = sohoa(t, "process", "../../testdata/batch", "--out", out, "--quiet")
	if code != exitUsage || !strings.Contains(stderr, "a finished bag is already there (pass --overwrite to replace it)") {
		t.Errorf("re-run: exit %d, %q", code, stderr)
	}

	// A flipped byte is named by verify-bag.
	pdf := filepath.Join(bagDir, "data/H49.64.33.2024.01.VTLT/H49.64.33.2024.01.VTLT.1.pdf")
	data, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 1
	os.WriteFile(pdf, data, 0o644)
	code, stdout, _ = sohoa(t, "verify-bag", bagDir)
	if code != exitFailed || !strings.Contains(stdout, "data/H49.64.33.2024.01.VTLT/H49.64.33.2024.01.VTLT.1.pdf: checksum mismatch") {
		t.Errorf("tampered bag: exit %d\n%s", code, stdout)
	}
}

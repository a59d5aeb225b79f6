package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline"
)

// TestDPIRange is issue 12 item 17: --dpi outside 50–2400, Inf and NaN are
// bad usage (exit 2) for validate, process and submit, before anything is read.
func TestDPIRange(t *testing.T) {
	t.Setenv("SOHOA_SEAL_KEYFILE", "")
	t.Setenv("SOHOA_SEAL_CERTFILE", "")
	for _, v := range []string{"NaN", "Inf", "+Inf", "-Inf", "1e300", "49.9", "2400.5", "-5"} {
		for _, cmd := range []string{"validate", "process", "submit"} {
			args := []string{cmd, "../../testdata/batch", "--dpi", v}
			if cmd == "process" {
				args = append(args, "--out", t.TempDir(), "--quiet")
			}
			code, stdout, stderr := sohoa(t, args...)
			if code != exitUsage || !strings.Contains(stderr, "want a resolution from 50 to 2400 dots per inch") {
				t.Errorf("%s --dpi %s: exit %d, want %d\n%s%s", cmd, v, code, exitUsage, stdout, stderr)
			}
		}
	}
	for _, v := range []string{"50", "300", "2400"} {
		if code, stdout, stderr := sohoa(t, "validate", "../../testdata/batch", "--dpi", v); code != exitOK {
			t.Errorf("validate --dpi %s: exit %d, want 0\n%s%s", v, code, stdout, stderr)
		}
	}
}

// TestValidateRefusesUnreadableAndBadNames is issue 12 items 5 and 6 through
// the command: exit 3, each file named (escaped) on its own line.
func TestValidateRefusesUnreadableAndBadNames(t *testing.T) {
	good, err := os.ReadFile("../../testdata/samples/bb-giao-nhan-p01.jpg")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "b1")
	hs := filepath.Join(dir, "H49.64.33.2019.01.VTLT")
	for name, data := range map[string][]byte{"1/p1.jpg": good, "2/empty.png": nil, "3/p\r1.jpg": good} {
		p := filepath.Join(hs, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := sohoa(t, "validate", dir)
	if code != exitInvalid || !strings.Contains(stderr, "H49.64.33.2019.01.VTLT/2/empty.png: not a TIFF, JPEG or PNG image: the file is empty") ||
		!strings.Contains(stderr, `H49.64.33.2019.01.VTLT/3/p\r1.jpg: the name holds a line break`) || strings.Contains(stderr, "\r") {
		t.Errorf("validate: exit %d, want %d naming both files\n%s%s", code, exitInvalid, stdout, stderr)
	}
}

// TestProcessOutputLocked is issue 12 item 13: a run into an output folder
// another run holds is refused (exit 2) before anything is written, and the
// folder is free again once that run ends.
func TestProcessOutputLocked(t *testing.T) {
	t.Setenv("SOHOA_SEAL_KEYFILE", "")
	t.Setenv("SOHOA_SEAL_CERTFILE", "")
	out := t.TempDir()
	release, err := pipeline.LockOutput(out) // the first run, still going
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := sohoa(t, "process", "../../testdata/batch", "--out", out, "--quiet")
	if code != exitUsage || !strings.Contains(stderr, "in use by another sohoa run") {
		t.Errorf("second run into a held output folder: exit %d, want %d\n%s%s", code, exitUsage, stdout, stderr)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("refused run wrote %d entries in the output folder", len(ents))
	}
	release()
	again, err := pipeline.LockOutput(out)
	if err != nil {
		t.Fatalf("output folder still held after release: %v", err)
	}
	again()
}

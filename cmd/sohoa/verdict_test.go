package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/handover/handovertest"
	"github.com/sohoa-vn/sohoa/storage/local"
)

// devCA makes development keys in a temporary folder and returns the CA certificate's file.
func devCA(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "keys")
	if code, _, stderr := sohoa(t, "keygen", "--out", dir); code != exitOK {
		t.Fatalf("keygen: exit %d\n%s", code, stderr)
	}
	return filepath.Join(dir, "ca.pem")
}

// incompleteBatch writes a batch of two one-page documents of one hồ sơ, the
// first a truncated (corrupt) TIFF, and returns its folder.
func incompleteBatch(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "lo-thieu")
	const code = "H49.64.33.2024.01.VTLT"
	tif, err := os.ReadFile("../../testdata/samples/tt-so-hoa-p01.tif")
	if err != nil {
		t.Fatal(err)
	}
	jpg, err := os.ReadFile("../../testdata/samples/qd-chinh-ly-p01.jpg")
	if err != nil {
		t.Fatal(err)
	}
	// The TIFF's header stays whole (validation passes); its image data is zeros.
	clear(tif[len(tif)/3 : len(tif)-4096])
	for p, data := range map[string][]byte{code + "/1/page-001.tif": tif, code + "/2/page-001.jpg": jpg} {
		p = filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestVerdictIncompleteUnsealed is issue 10 item 1: an incomplete package
// (one corrupt page) made without a signing key is "Không đạt" for verify,
// handover record and handover pull alike, with every problem named in
// Vietnamese, and exit status 1; without --ca the record says the signature
// was not checked.
func TestVerdictIncompleteUnsealed(t *testing.T) {
	t.Setenv("SOHOA_SEAL_KEYFILE", "")
	t.Setenv("SOHOA_SEAL_CERTFILE", "")
	ca := devCA(t)
	out := t.TempDir()
	code, stdout, stderr := sohoa(t, "process", incompleteBatch(t), "--out", out, "--workers", "1", "--quiet")
	if code != exitFailed || !strings.Contains(stdout, "INCOMPLETE") {
		t.Fatalf("process: exit %d, want %d\n%s%s", code, exitFailed, stdout, stderr)
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var bagDir string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			bagDir = filepath.Join(out, e.Name())
		}
	}
	if bagDir == "" {
		t.Fatalf("no bag in %s", out)
	}
	const missingDoc = "thiếu văn bản H49.64.33.2024.01.VTLT.0000001"
	wantVi := []string{"Kết quả kiểm tra: Không đạt", "gói chưa được ký số", "Sohoa-Batch-Status: incomplete", missingDoc, "lý do: H49.64.33.2024.01.VTLT/1/page-001.tif page 1: decode: scan: page 1: truncated LZW data"}

	// sohoa verify --ca.
	code, stdout, _ = sohoa(t, "verify", bagDir, "--ca", ca)
	if code != exitFailed || !strings.Contains(stdout, "NOT verified") || !strings.Contains(stdout, "document H49.64.33.2024.01.VTLT.0000001") ||
		!strings.Contains(stdout, "Sohoa-Batch-Status is incomplete") || !strings.Contains(stdout, "not sealed") {
		t.Errorf("verify --ca: exit %d\n%s", code, stdout)
	}

	// sohoa handover record --ca.
	rec := filepath.Join(t.TempDir(), "bb.pdf")
	code, _, stderr = sohoa(t, "handover", "record", bagDir, "--out", rec, "--ca", ca)
	txt, err := os.ReadFile(strings.TrimSuffix(rec, ".pdf") + ".txt")
	if err != nil {
		t.Fatalf("no record written: %v\n%s", err, stderr)
	}
	if code != exitFailed {
		t.Errorf("record --ca: exit %d, want %d\n%s", code, exitFailed, stderr)
	}
	for _, want := range wantVi {
		if !strings.Contains(string(txt), want) {
			t.Errorf("record --ca lacks %q:\n%s", want, txt)
		}
	}
	if strings.Contains(string(txt), "Kết quả kiểm tra: Đạt") {
		t.Errorf("record --ca of an incomplete unsealed package says Đạt:\n%s", txt)
	}

	// sohoa handover pull --ca, from a local archive store.
	root := t.TempDir()
	ls, err := local.New(root)
	if err != nil {
		t.Fatal(err)
	}
	id := filepath.Base(bagDir)
	handovertest.Upload(t, ls, bagDir, id)
	pulled := filepath.Join(t.TempDir(), "nhan")
	code, _, stderr = sohoa(t, "handover", "pull", id, "--out", pulled, "--archive-dir", root, "--ca", ca)
	ptxt, err := os.ReadFile(filepath.Join(pulled, "handover-record.txt"))
	if err != nil {
		t.Fatalf("pull wrote no record: %v\n%s", err, stderr)
	}
	if code != exitFailed {
		t.Errorf("pull --ca: exit %d, want %d\n%s", code, exitFailed, stderr)
	}
	for _, want := range wantVi {
		if !strings.Contains(string(ptxt), want) {
			t.Errorf("pull --ca record lacks %q:\n%s", want, ptxt)
		}
	}

	// Without --ca the record says plainly that the signature was not checked.
	code, _, _ = sohoa(t, "handover", "record", bagDir, "--out", rec)
	txt, _ = os.ReadFile(strings.TrimSuffix(rec, ".pdf") + ".txt")
	if code != exitFailed || !strings.Contains(string(txt), "Chữ ký số của gói tin: CHƯA ĐƯỢC KIỂM TRA") || !strings.Contains(string(txt), missingDoc) {
		t.Errorf("record without --ca: exit %d\n%s", code, txt)
	}
}

// TestRecordMissingPayloadFile is issue 10 item 2: a bag from which a
// payload file was deleted still gets its record, "Không đạt", naming the file.
func TestRecordMissingPayloadFile(t *testing.T) {
	ca := devCA(t)
	dir := filepath.Join(t.TempDir(), "lo-xoa")
	handovertest.MakeBag(t, dir, "lo-xoa", 4)
	const victim = "data/H49.64.33.2025.02.VTLT/H49.64.33.2025.02.VTLT.2.pdf"
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(victim))); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--ca", ca}, nil} {
		rec := filepath.Join(t.TempDir(), "bb.pdf")
		code, _, stderr := sohoa(t, append([]string{"handover", "record", dir, "--out", rec}, args...)...)
		txt, err := os.ReadFile(strings.TrimSuffix(rec, ".pdf") + ".txt")
		if err != nil {
			t.Fatalf("record %v: none written: %v\n%s", args, err, stderr)
		}
		if _, err := os.Stat(rec); err != nil {
			t.Errorf("record %v: no PDF: %v", args, err)
		}
		if code != exitFailed {
			t.Errorf("record %v: exit %d, want %d", args, code, exitFailed)
		}
		for _, want := range []string{"Kết quả kiểm tra: Không đạt", victim + ": thiếu tệp tin", "\t0\t" + victim + " (THIẾU: không có trong gói tin)\n"} {
			if !strings.Contains(string(txt), want) {
				t.Errorf("record %v lacks %q:\n%s", args, want, txt)
			}
		}
	}
}

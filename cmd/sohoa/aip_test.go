package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline/handover/handovertest"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/local"
	"github.com/sohoa-vn/sohoa/storage/s3"
)

// TestProcessWritesAIP: "sohoa process" with a signing key writes one
// AIP_hoso per hồ sơ under DIR/aip/<batch id>/ beside the batch's bag;
// "sohoa verify" passes each zip and its unzipped folder with the CA, and
// fails (one line per problem, exit 1) without the CA or with a file added;
// "export sip" writes SIP_hoso from the package folder and from the archive
// (MinIO; exportFromArchive); a batch whose only hồ sơ has a failed document
// gets no AIP.
func TestProcessWritesAIP(t *testing.T) {
	keys := t.TempDir()
	if code, stdout, stderr := sohoa(t, "keygen", "--out", keys, "--org", "Sở Nội vụ tỉnh Bắc Minh", "--org-id", "H49.64.33"); code != exitOK {
		t.Fatalf("keygen: exit %d\n%s%s", code, stdout, stderr)
	}
	ca := filepath.Join(keys, seal.DevCAFile)
	trust := filepath.Join(keys, DevTrustFile) // pins the development certificate for H49.64.33
	t.Setenv("SOHOA_CONFIG", "")
	t.Setenv("SOHOA_SEAL_TRUSTFILE", trust)
	t.Setenv("SOHOA_SEAL_KEYFILE", filepath.Join(keys, seal.DevKeyFile))
	t.Setenv("SOHOA_SEAL_CERTFILE", filepath.Join(keys, seal.DevCertFile))
	out := t.TempDir()
	t.Cleanup(func() { seal.MakeWritable(out) })
	code, stdout, stderr := sohoa(t, "process", "../../testdata/batch", "--out", out, "--workers", "2", "--quiet")
	if code != exitOK {
		t.Fatalf("process: exit %d\n%s\n%s", code, stdout, stderr)
	}
	zips, _ := filepath.Glob(filepath.Join(out, "aip", "demo-2025-001", "*.zip"))
	if len(zips) != 2 || strings.Count(stdout, "  AIP_hoso   H49.64.33.") != 2 || !strings.Contains(stdout, "(2 văn bản, 2 trang)") {
		t.Fatalf("AIP_hoso written: %q\n%s", zips, stdout)
	}
	for _, z := range zips {
		if !strings.Contains(stdout, filepath.Base(z)) {
			t.Errorf("process did not name %s:\n%s", filepath.Base(z), stdout)
		}
		code, vout, verr := sohoa(t, "verify", z, "--ca", ca, "--trust", trust)
		if code != exitOK || !strings.Contains(vout, "verified") || !strings.Contains(vout, "AIP_hoso urn:uuid:") ||
			!strings.Contains(vout, "2/2 tệp có chữ ký hợp lệ") {
			t.Errorf("verify %s: exit %d\n%s%s", z, code, vout, verr)
		}
	}
	if code, vout, _ := sohoa(t, "verify", zips[0]); code != exitFailed || strings.Count(vout, "signer not checked") != 2 {
		t.Errorf("verify without --ca: exit %d\n%s", code, vout)
	}
	if code, vout, _ := sohoa(t, "verify", zips[0], "--ca", ca); code != exitFailed || strings.Count(vout, "signer not bound to the organisation") != 2 {
		t.Errorf("verify without --trust: exit %d\n%s", code, vout)
	}
	if code, vout, _ := sohoa(t, "verify", zips[0], "--ca", ca, "--trust", trust, "--org", "H01.02.03"); code != exitFailed ||
		strings.Count(vout, `organisation "H01.02.03" is not in the trust`) != 2 {
		t.Errorf("verify for another organisation: exit %d\n%s", code, vout)
	}
	dir := t.TempDir()
	if b, err := exec.Command("unzip", "-q", zips[0], "-d", dir).CombinedOutput(); err != nil {
		t.Fatalf("unzip: %v %s", err, b)
	}
	pkg, _ := filepath.Glob(filepath.Join(dir, "urn_uuid_*"))
	if len(pkg) != 1 {
		t.Fatalf("unzipped: %v", pkg)
	}
	if code, vout, _ := sohoa(t, "verify", pkg[0], "--ca", ca, "--trust", trust); code != exitOK {
		t.Errorf("verify of the unzipped folder: exit %d\n%s", code, vout)
	}
	os.WriteFile(filepath.Join(pkg[0], "representations", "rep1", "data", "extra.pdf"), []byte("%PDF"), 0o644)
	code, vout, _ := sohoa(t, "verify", pkg[0], "--ca", ca, "--trust", trust)
	if code != exitFailed || !strings.Contains(vout, "representations/rep1/data/extra.pdf: in the package but listed in no METS file\n") ||
		!strings.Contains(vout, "not verified (1 problem(s))") {
		t.Errorf("verify with a file added: exit %d\n%s", code, vout)
	}

	// SIP_hoso of one hồ sơ of the processed batch, checked as verify does.
	sips := t.TempDir()
	code, eout, eerr := sohoa(t, "export", "sip", filepath.Join(out, "demo-2025-001"), "--out", sips, "--hoso", "H49.64.33.2025.02.VTLT", "--ca", ca)
	files, _ := filepath.Glob(filepath.Join(sips, "1uuid-*.zip"))
	if code != exitOK || len(files) != 1 || !strings.Contains(eout, "H49.64.33.2025.02.VTLT: "+files[0]+" (2 văn bản, 2 trang), verified") {
		t.Errorf("export sip: exit %d %q\n%s%s", code, files, eout, eerr)
	}
	if len(files) == 1 {
		if code, vout, _ := sohoa(t, "verify", files[0], "--ca", ca, "--trust", trust); code != exitOK || !strings.Contains(vout, "SIP_hoso uuid-") {
			t.Errorf("verify of the SIP: exit %d\n%s", code, vout)
		}
	}
	if code, _, eerr := sohoa(t, "export", "sip", filepath.Join(out, "demo-2025-001"), "--out", t.TempDir(), "--hoso", "H49.NOPE"); code != exitUsage ||
		!strings.Contains(eerr, "--hoso H49.NOPE: no such hồ sơ") {
		t.Errorf("export of an unknown hồ sơ: exit %d %s", code, eerr)
	}
	exportFromArchive(t, filepath.Join(out, "demo-2025-001"), "demo-2025-001", ca, trust)

	// handover pull fetches the AIPs beside the bag; the record has a row per package.
	root := t.TempDir()
	ls, err := local.New(root)
	if err != nil {
		t.Fatal(err)
	}
	handovertest.Upload(t, ls, filepath.Join(out, "demo-2025-001"), "demo-2025-001")
	handovertest.Upload(t, ls, filepath.Join(out, "aip", "demo-2025-001"), "aip/demo-2025-001")
	pulled := filepath.Join(t.TempDir(), "nhan")
	code, pout, perr := sohoa(t, "handover", "pull", "demo-2025-001", "--out", pulled, "--archive-dir", root, "--ca", ca, "--trust", trust)
	rec, _ := os.ReadFile(filepath.Join(pulled, "handover-record.txt"))
	if code != exitOK || !strings.Contains(string(rec), "Gói AIP_hoso (mỗi hồ sơ một gói): 2\n") {
		t.Errorf("handover pull: exit %d\n%s%s\n%s", code, pout, perr, rec)
	}
	for _, z := range zips {
		data, _ := os.ReadFile(z)
		sum := sha256.Sum256(data)
		row := fmt.Sprintf("%s, SHA-256 %s, 2 văn bản, 2 trang, đạt", filepath.Base(z), hex.EncodeToString(sum[:]))
		if !strings.Contains(string(rec), row) {
			t.Errorf("the record lacks the row %q:\n%s", row, rec)
		}
		if got, err := os.ReadFile(filepath.Join(pulled, "aip", "demo-2025-001", filepath.Base(z))); err != nil || !bytes.Equal(got, data) {
			t.Errorf("pulled %s: %v", filepath.Base(z), err)
		}
	}

	// fixity checks the AIPs in the archive too: clean, then one changed byte inside a zip.
	if code, fout, ferr := sohoa(t, "fixity", "--archive-dir", root, "--save=false"); code != exitOK || !strings.Contains(fout, ": ok (1 packages") {
		t.Errorf("fixity with AIPs: exit %d\n%s%s", code, fout, ferr)
	}
	key := "aip/demo-2025-001/" + filepath.Base(zips[0])
	stored := filepath.Join(root, filepath.FromSlash(key))
	data, _ := os.ReadFile(stored)
	i := bytes.Index(data, []byte("%PDF-")) // the PDFs are stored in the zip, not deflated
	if i < 0 {
		t.Fatal("no stored PDF in the zip")
	}
	data[i+200] ^= 1
	os.Chmod(stored, 0o644)
	if err := os.WriteFile(stored, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, fout, _ := sohoa(t, "fixity", "--archive-dir", root, "--save=false"); code != exitFailed || !strings.Contains(fout, "altered "+key+":") {
		t.Errorf("fixity with an altered AIP: exit %d\n%s", code, fout)
	}

	// One hồ sơ, one corrupt page: no AIP for it.
	out2 := t.TempDir()
	t.Cleanup(func() { seal.MakeWritable(out2) })
	code, stdout, stderr = sohoa(t, "process", incompleteBatch(t), "--out", out2, "--workers", "2", "--quiet")
	if code != exitFailed || !strings.Contains(stdout, "AIP_hoso   H49.64.33.2024.01.VTLT: none, the hồ sơ is incomplete") {
		t.Errorf("process of an incomplete batch: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if zips, _ := filepath.Glob(filepath.Join(out2, "aip", "*", "*")); len(zips) != 0 {
		t.Errorf("an incomplete hồ sơ got a package: %q", zips)
	}
}

// exportFromArchive is the BATCH_ID route of "sohoa export sip", end to end
// against MinIO: the bag of batch id at bagDir is stored in an archive bucket
// as the package task stores it; export pulls it (every checksum checked)
// and writes, for each hồ sơ of the batch, the SIP_hoso the PACKAGE route
// writes from bagDir: the same names and bytes, none besides, each passed by
// "sohoa verify" with the CA and trust. A stored file changed, or a batch not
// in the archive, is an error and no SIP.
func exportFromArchive(t *testing.T, bagDir, id, ca, trust string) {
	t.Helper()
	svc := testenv.Get(t)
	bucket := testenv.BucketPrefix(t) + "-archive"
	arch, err := s3.New(context.Background(), s3.Config{Endpoint: svc.S3Endpoint, Bucket: bucket, AccessKey: svc.S3AccessKey, SecretKey: svc.S3SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	putBag(t, arch, bagDir, id, nil)
	t.Setenv("SOHOA_S3_ENDPOINT", svc.S3Endpoint)
	t.Setenv("SOHOA_S3_ARCHIVEBUCKET", bucket)
	t.Setenv(configs.EnvS3AccessKey, svc.S3AccessKey)
	t.Setenv(configs.EnvS3SecretKey, svc.S3SecretKey)
	zips := func(dir string) map[string][]byte {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		m := map[string][]byte{}
		for _, f := range files {
			m[filepath.Base(f)], _ = os.ReadFile(f)
		}
		return m
	}

	fromPackage, fromArchive := t.TempDir(), t.TempDir()
	if code, out, errOut := sohoa(t, "export", "sip", bagDir, "--out", fromPackage, "--ca", ca); code != exitOK {
		t.Fatalf("export sip PACKAGE: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := sohoa(t, "export", "sip", id, "--out", fromArchive, "--ca", ca)
	if code != exitOK || strings.Count(out, "), verified\n") != 2 {
		t.Fatalf("export sip BATCH_ID: exit %d\n%s%s", code, out, errOut)
	}
	want, got := zips(fromPackage), zips(fromArchive)
	if len(want) != 2 || len(got) != len(want) {
		t.Fatalf("2 hồ sơ; the PACKAGE route wrote %d files, the BATCH_ID route %d", len(want), len(got))
	}
	for name, data := range want {
		if !strings.HasPrefix(name, "1uuid-") && !strings.HasPrefix(name, "2uuid-") || !bytes.Equal(got[name], data) {
			t.Errorf("%s: the BATCH_ID route wrote %d bytes, the PACKAGE route %d", name, len(got[name]), len(data))
		}
		if code, vout, _ := sohoa(t, "verify", filepath.Join(fromArchive, name), "--ca", ca, "--trust", trust); code != exitOK ||
			!strings.Contains(vout, "SIP_hoso uuid-") || !strings.Contains(vout, "organisation H49.64.33") || !strings.Contains(vout, "2/2 tệp có chữ ký hợp lệ") {
			t.Errorf("verify %s: exit %d\n%s", name, code, vout)
		}
	}

	if code, out, errOut := sohoa(t, "export", "sip", "no-such-batch", "--out", t.TempDir(), "--ca", ca); code != exitFailed {
		t.Errorf("export of a batch not in the archive: exit %d\n%s%s", code, out, errOut)
	}
	pdfs, _ := filepath.Glob(filepath.Join(bagDir, "data", "*", "*.pdf"))
	if len(pdfs) == 0 {
		t.Fatal("no PDF in the bag")
	}
	rel, _ := filepath.Rel(bagDir, pdfs[0])
	key := id + "/" + filepath.ToSlash(rel)
	if err := arch.Delete(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	if _, err := arch.Put(context.Background(), key, strings.NewReader("%PDF-1.7 changed"), -1, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	changed := t.TempDir()
	if code, out, errOut := sohoa(t, "export", "sip", id, "--out", changed, "--ca", ca); code != exitFailed || len(zips(changed)) != 0 ||
		!strings.Contains(errOut, filepath.ToSlash(rel)) {
		t.Errorf("export of a batch with a changed PDF in the archive: exit %d, wrote %d file(s)\n%s%s", code, len(zips(changed)), out, errOut)
	}
}

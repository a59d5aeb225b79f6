package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/fixity"
	"github.com/sohoa-vn/sohoa/pipeline/handover"
	"github.com/sohoa-vn/sohoa/pipeline/handover/handovertest"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/local"
	"github.com/sohoa-vn/sohoa/storage/s3"
)

// run runs the sohoa binary of e with extra environment variables and returns
// its stdout, stderr and exit code.
func (e *queueEnv) run(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(e.bin, append(args, "--config", e.config)...)
	cmd.Env = append(append([]string{}, e.env...), env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// bucket opens (creating it) the bucket <prefix>-<name> of e, without object lock.
func (e *queueEnv) bucket(t *testing.T, name string) *s3.Store {
	t.Helper()
	s, err := s3.New(context.Background(), s3.Config{Endpoint: e.svc.S3Endpoint, Bucket: e.prefix + "-" + name,
		AccessKey: e.svc.S3AccessKey, SecretKey: e.svc.S3SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// putBag uploads the bag at dir to s under id/, as the package task does, with retention when ret is set.
func putBag(t *testing.T, s storage.Store, dir, id string, ret *storage.Retention) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = s.Put(context.Background(), path.Join(id, filepath.ToSlash(rel)), f, -1, storage.PutOptions{Retention: ret})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHandoverPull processes the sample batch, stores its package in the
// object-locked archive bucket as the queue does, pulls it with "sohoa handover
// pull" and checks the bag and the record against what is stored.
func TestHandoverPull(t *testing.T) {
	e := newQueueEnv(t)
	const id = "demo-2025-001"
	processed := t.TempDir()
	keys, err := seal.WriteDevelopmentKeys(t.TempDir(), "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sealEnv := []string{"SOHOA_SEAL_KEYFILE=" + keys.Key, "SOHOA_SEAL_CERTFILE=" + keys.Cert}
	if stdout, stderr, code := e.run(t, sealEnv, "process", "../../testdata/batch", "--out", processed, "--quiet"); code != exitOK {
		t.Fatalf("process: exit %d\n%s%s", code, stdout, stderr)
	}
	t.Cleanup(func() { seal.MakeWritable(processed) })
	arch := e.archive(t)
	putBag(t, arch, filepath.Join(processed, id), id, &storage.Retention{Mode: storage.Governance, Until: time.Now().Add(24 * time.Hour)})
	stored := download(t, arch, id)

	out := filepath.Join(t.TempDir(), "giao-nhan")
	start := time.Now()
	// With the key configured, the record's PDF is signed too.
	// The trust from the configuration (seal.trustFile), as an installation keeps it.
	trust := writeTrust(t, "organisations:\n  - identifier: H49.64.33\n    certFiles: ["+keys.Cert+"]\n")
	recEnv := append(append([]string(nil), sealEnv...), "SOHOA_SEAL_CAFILE="+keys.CA, "SOHOA_SEAL_TRUSTFILE="+trust)
	stdout, stderr, code := e.run(t, recEnv, "handover", "pull", id, "--out", out, "--ca", keys.CA,
		"--giver-name", "Nguyễn Thị Lan", "--giver-position", "Lưu trữ viên", "--receiver-name", "Trần Văn Đức")
	if code != exitOK {
		t.Fatalf("handover pull: exit %d\n%s%s", code, stdout, stderr)
	}
	t.Logf("pull and record of %d files: %v", len(stored), time.Since(start).Round(time.Millisecond))
	// The handover is in the batch's audit trail, and its mirror in the archive bucket.
	rdb := redis.NewClient(&redis.Options{Addr: e.svc.RedisAddr, DB: e.db})
	defer rdb.Close()
	trail, err := audit.New(rdb, nil, nil).Batch(context.Background(), id)
	if err != nil || len(trail) != 1 || trail[0].Action != audit.Handover || trail[0].Who != "Trần Văn Đức" ||
		trail[0].After != "verified; handover record written" || !strings.Contains(trail[0].Detail, "giver:  Nguyễn Thị Lan") {
		t.Errorf("audit trail after the handover: %+v %v", trail, err)
	} else if _, err := arch.Stat(context.Background(), audit.ArchivePrefix+id+"/"+trail[0].ID+".json"); err != nil {
		t.Errorf("handover entry not mirrored into the archive: %v", err)
	}
	bagDir := filepath.Join(out, id)
	pulled := hashTree(t, bagDir)
	if !maps.Equal(pulled, stored) {
		t.Fatalf("pulled bag differs from the stored package:\n got %v\nwant %v", pulled, stored)
	}
	if probs, err := bag.Validate(bagDir); err != nil || len(probs) > 0 {
		t.Fatalf("pulled bag does not validate: %v %v", probs, err)
	}
	entries, _ := os.ReadDir(out)
	var names []string
	for _, de := range entries {
		names = append(names, de.Name())
	}
	if strings.Join(names, " ") != id+" handover-record.pdf handover-record.txt" {
		t.Errorf("pull folder holds %v, want the bag and the two record files", names)
	}

	// The record's counts and hashes are the bag's.
	manifest := handovertest.Manifest(t, bagDir)
	txt, err := os.ReadFile(filepath.Join(out, handover.RecordTextName))
	if err != nil {
		t.Fatal(err)
	}
	rows, tagRows := map[string]string{}, map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(txt)))
	for sc.Scan() {
		if f := strings.Split(sc.Text(), "\t"); len(f) == 4 && f[0] != "STT" {
			if strings.HasPrefix(f[0], "T") {
				tagRows[f[3]] = f[1]
			} else {
				rows[f[3]] = f[1]
			}
		}
	}
	if !maps.Equal(rows, manifest) {
		t.Errorf("text record lists %v, manifest %v", rows, manifest)
	}
	for p, sum := range stored {
		if !strings.HasPrefix(p, "data/") && tagRows[p] != sum {
			t.Errorf("text record: tag file %s has %q, stored %s", p, tagRows[p], sum)
		}
	}
	if len(tagRows)+len(rows) != len(stored) {
		t.Errorf("text record lists %d files, the package has %d", len(tagRows)+len(rows), len(stored))
	}
	// The record names each PDF's signer and signing time.
	signedLines := 0
	for p := range manifest {
		if strings.HasSuffix(p, ".pdf") && !strings.HasPrefix(p, "data/originals/") {
			if !regexp.MustCompile(regexp.QuoteMeta(p) + `: ký bởi sohoa development, thời gian ký \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00\n`).Match(txt) {
				t.Errorf("text record: no signer and signing time for %s:\n%s", p, txt)
			}
			signedLines++
		}
	}
	if signedLines == 0 {
		t.Error("no PDF in the package")
	}
	if b, err := exec.Command("pdfsig", filepath.Join(out, handover.RecordPDFName)).CombinedOutput(); err != nil ||
		!strings.Contains(string(b), "Signature is Valid") || !strings.Contains(string(b), "Total document signed") {
		t.Errorf("pdfsig of the record: %v\n%s", err, b)
	}
	pdfOut, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", filepath.Join(out, handover.RecordPDFName), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (poppler-utils, scripts/deps.sh): %v", err)
	}
	pdfText := string(pdfOut)
	for form, s := range map[string]string{"txt": string(txt), "pdf": pdfText} {
		for _, want := range []string{"BIÊN BẢN GIAO NHẬN", "Sở Nội vụ tỉnh Bắc Minh", "Mã lô (gói tin): " + id,
			"Tổng số hồ sơ: 2", fmt.Sprintf("Tổng số tệp tin: %d", len(manifest)), "từ 02/10/2023 đến 17/09/2025",
			stored[bag.SignatureFile], "sohoa development", "Nguyễn Thị Lan", "Lưu trữ viên", "Trần Văn Đức", "Kết quả kiểm tra: Đạt",
			"Số: ……/BB-……", "chúng tôi gồm:", "Bên giao: ", "Bên nhận: ", "Danh mục hồ sơ giao nhận:", "Người ký số niêm phong gói tin: package seal (development) (sohoa development)"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s record lacks %q", form, want)
			}
		}
	}
	if strings.Contains(pdfText, "CN=") || strings.Contains(string(txt), "CN=") {
		t.Error("the record shows the signer as a raw distinguished name")
	}
	lines := strings.Split(pdfText, "\n")
	for p, sum := range manifest {
		ok := false
		for _, l := range lines {
			ok = ok || strings.Contains(l, p) && strings.Contains(l, sum)
		}
		if !ok {
			t.Errorf("PDF record has no line with %s and %s", p, sum)
		}
	}

	// Sealed by a key the given CA did not certify: the pull fails naming the check.
	otherKeys, err := seal.WriteDevelopmentKeys(t.TempDir(), "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := e.run(t, nil, "handover", "pull", id, "--out", t.TempDir(), "--ca", otherKeys.CA); code != exitFailed || !strings.Contains(stderr, "certificate") {
		t.Errorf("pull checked against another CA: exit %d, stderr %s; want 1 naming the certificate", code, stderr)
	}

	// A second pull into the same folder is refused.
	if _, stderr, code := e.run(t, nil, "handover", "pull", id, "--out", out); code != exitUsage || !strings.Contains(stderr, "not empty") {
		t.Errorf("pull into a non-empty folder: exit %d, %s", code, stderr)
	}
	if _, _, code := e.run(t, nil, "handover", "pull", "no-such-batch", "--out", t.TempDir()); code != exitFailed {
		t.Errorf("pull of an unknown batch: exit %d", code)
	}

	// A tampered package, in an unlocked bucket: the pull fails naming the file.
	tampered := t.TempDir()
	if err := os.CopyFS(tampered, os.DirFS(filepath.Join(processed, id))); err != nil {
		t.Fatal(err)
	}
	victim := "data/H49.64.33.2025.02.VTLT/H49.64.33.2025.02.VTLT.1.pdf"
	if err := os.WriteFile(filepath.Join(tampered, filepath.FromSlash(victim)), []byte("%PDF-1.7 forged"), 0o644); err != nil {
		t.Fatal(err)
	}
	putBag(t, e.bucket(t, "tampered"), tampered, id, nil)
	env := []string{"SOHOA_S3_ARCHIVEBUCKET=" + e.prefix + "-tampered"}
	_, stderr, code = e.run(t, env, "handover", "pull", id, "--out", t.TempDir())
	if code != exitFailed || !strings.Contains(stderr, victim+": checksum mismatch") {
		t.Errorf("pull of a tampered package: exit %d, stderr %s; want 1 naming %s", code, stderr, victim)
	}

	// The same from a local store.
	root := t.TempDir()
	ls, err := local.New(root)
	if err != nil {
		t.Fatal(err)
	}
	putBag(t, ls, tampered, id, nil)
	_, stderr, code = e.run(t, nil, "handover", "pull", id, "--out", t.TempDir(), "--archive-dir", root)
	if code != exitFailed || !strings.Contains(stderr, victim+": checksum mismatch") {
		t.Errorf("pull of a tampered package from a local store: exit %d, stderr %s", code, stderr)
	}

	// "handover record" on the pulled bag writes the same record.
	rec := filepath.Join(t.TempDir(), "bb.pdf")
	if _, stderr, code := e.run(t, nil, "handover", "record", bagDir, "--out", rec, "--ca", keys.CA, "--trust", trust); code != exitOK {
		t.Fatalf("handover record: exit %d\n%s", code, stderr)
	}
	txt2, err := os.ReadFile(strings.TrimSuffix(rec, ".pdf") + ".txt")
	if err != nil || !strings.Contains(string(txt2), stored[bag.SignatureFile]) {
		t.Errorf("record text: %v", err)
	}
	if _, _, code := e.run(t, nil, "handover", "record", bagDir, "--out", filepath.Join(bagDir, "r.pdf")); code != exitUsage {
		t.Errorf("record inside the bag: exit %d, want %d", code, exitUsage)
	}
}

// TestFixityCommand runs "sohoa fixity" on a clean and on a damaged archive
// bucket, the summary in "sohoa status", and the periodic task in a worker.
func TestFixityCommand(t *testing.T) {
	e := newQueueEnv(t)
	ctx := context.Background()
	arch := e.bucket(t, "fixity")
	env := []string{"SOHOA_S3_ARCHIVEBUCKET=" + e.prefix + "-fixity", "SOHOA_RETENTION_MODE=none"}
	for id, n := range map[string]int{"lo-1": 5, "lo-2": 3} {
		dir := filepath.Join(t.TempDir(), id)
		handovertest.MakeBag(t, dir, id, n)
		handovertest.Upload(t, arch, dir, id)
	}
	if out, _, _ := e.run(t, env, "status"); !strings.Contains(out, "fixity: never checked") {
		t.Errorf("status before any check:\n%s", out)
	}
	out, stderr, code := e.run(t, env, "fixity")
	if code != exitOK || !strings.Contains(out, ": ok (2 packages, 18 objects") {
		t.Fatalf("fixity of a clean archive: exit %d\n%s%s", code, out, stderr)
	}
	if out, _, _ := e.run(t, env, "status"); !strings.Contains(out, ": ok (2 packages") {
		t.Errorf("status after a clean check:\n%s", out)
	}

	altered := "lo-1/data/H49.64.33.2019.01.VTLT/H49.64.33.2019.01.VTLT.1.pdf"
	missing := "lo-2/data/H49.64.33.2025.02.VTLT/H49.64.33.2025.02.VTLT.2.pdf"
	orphan := "lo-2/data/thừa.txt"
	if err := arch.Delete(ctx, altered); err != nil {
		t.Fatal(err)
	}
	if _, err := arch.Put(ctx, altered, strings.NewReader("đã sửa"), -1, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := arch.Delete(ctx, missing); err != nil {
		t.Fatal(err)
	}
	if _, err := arch.Put(ctx, orphan, strings.NewReader("thừa"), -1, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	out, _, code = e.run(t, env, "fixity")
	for _, want := range []string{"altered " + altered + ": SHA-256", "missing " + missing + ":", "orphan " + orphan + ":",
		"PROBLEMS: 1 altered, 1 missing, 1 orphans"} {
		if !strings.Contains(out, want) {
			t.Errorf("fixity output lacks %q", want)
		}
	}
	if code != exitFailed {
		t.Errorf("fixity with problems: exit %d, want %d\n%s", code, exitFailed, out)
	}
	if out, _, _ := e.run(t, env, "status"); !strings.Contains(out, "PROBLEMS: 1 altered, 1 missing, 1 orphans") {
		t.Errorf("status after a failed check:\n%s", out)
	}

	// A worker runs the check on its schedule.
	rdb := redis.NewClient(&redis.Options{Addr: e.svc.RedisAddr, DB: e.db})
	defer rdb.Close()
	if err := rdb.Del(ctx, fixity.LastKey).Err(); err != nil {
		t.Fatal(err)
	}
	e.env = append(e.env, append(env, "SOHOA_FIXITY_SCHEDULE=@every 1s")...)
	e.startWorker(t, "worker.log")
	deadline := time.Now().Add(testenv.WaitLimit)
	for {
		res, err := fixity.Last(ctx, rdb)
		if err != nil {
			t.Fatal(err)
		}
		if res != nil {
			if res.Altered != 1 || res.Missing != 1 || res.Orphans != 1 {
				t.Errorf("periodic check: %+v", res)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no periodic fixity check within %v", testenv.WaitLimit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestHandoverLocal pulls from a local store and makes records in-process, without services.
func TestHandoverLocal(t *testing.T) {
	if code, _, _ := sohoa(t, "handover"); code != exitUsage {
		t.Errorf("handover without a subcommand: exit %d", code)
	}
	if code, _, _ := sohoa(t, "handover", "pull", "x"); code != exitUsage {
		t.Errorf("pull without --out: exit %d", code)
	}
	const id = "lo-local"
	src := filepath.Join(t.TempDir(), id)
	want := handovertest.MakeBag(t, src, id, 7)
	root := t.TempDir()
	ls, err := local.New(root)
	if err != nil {
		t.Fatal(err)
	}
	handovertest.Upload(t, ls, src, id)
	out := filepath.Join(t.TempDir(), "o")
	// The bag is not sealed and no CA is given: pulled, recorded, never "Đạt".
	code, stdout, stderr := sohoa(t, "handover", "pull", id, "--out", out, "--archive-dir", root)
	if code != exitFailed || strings.TrimSpace(stdout) != filepath.Join(out, handover.RecordPDFName) || !strings.Contains(stderr, "gói chưa được ký số") {
		t.Fatalf("pull: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := hashTree(t, filepath.Join(out, id)); !maps.Equal(got, want) {
		t.Errorf("pulled bag differs: %v, want %v", got, want)
	}

	// A record of a bag that no longer verifies says so, and the command fails.
	victim := filepath.Join(out, id, "data", "H49.64.33.2019.01.VTLT", "H49.64.33.2019.01.VTLT.1.pdf")
	if err := os.WriteFile(victim, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(t.TempDir(), "bb.pdf")
	code, _, stderr = sohoa(t, "handover", "record", filepath.Join(out, id), "--out", rec)
	txt, _ := os.ReadFile(filepath.Join(filepath.Dir(rec), "bb.txt"))
	if code != exitFailed || !strings.Contains(stderr, "checksum mismatch") || !strings.Contains(string(txt), "Kết quả kiểm tra: Không đạt") {
		t.Errorf("record of an altered bag: exit %d\n%s\n%s", code, stderr, txt)
	}
}

// TestArchiveUnavailableIsExit2: a store that cannot be opened (a local
// store folder that does not exist, an S3 endpoint where nothing listens) is
// an environment the command cannot run in: exit 2 naming it, for handover
// pull, export sip, fixity, restore, submit, worker and serve alike, and a
// Redis that does not answer for status and retry (named by its address,
// never its password); nothing is pulled.
func TestArchiveUnavailableIsExit2(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-store")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	t.Setenv("SOHOA_S3_ACCESS_KEY", "sohoa-test")
	t.Setenv("SOHOA_S3_SECRET_KEY", "sohoa-test-secret")
	cfg := filepath.Join(t.TempDir(), "sohoa.yaml")
	if err := os.WriteFile(cfg, []byte("s3:\n  endpoint: "+closed+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	redisDown := filepath.Join(t.TempDir(), "sohoa.yaml")
	if err := os.WriteFile(redisDown, []byte("redis:\n  url: redis://:secret-pw@"+closed+"/0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"pull, local store", []string{"handover", "pull", "b1", "--out", filepath.Join(t.TempDir(), "o"), "--archive-dir", missing}, "no-such-store"},
		{"export sip, local store", []string{"export", "sip", "b1", "--out", filepath.Join(t.TempDir(), "o"), "--archive-dir", missing}, "no-such-store"},
		{"fixity, local store", []string{"fixity", "--archive-dir", missing}, "no-such-store"},
		{"pull, S3 down", []string{"handover", "pull", "b1", "--out", filepath.Join(t.TempDir(), "o"), "--config", cfg}, closed},
		{"submit, S3 down", []string{"submit", "../../testdata/batch", "--config", cfg}, closed},
		{"worker, S3 down", []string{"worker", "--config", cfg}, closed},
		{"serve, S3 down", []string{"serve", "--config", cfg}, closed},
		{"restore, S3 down", []string{"restore", "--from", "copy1", "--to", "primary", "--config", cfg}, closed},
		{"status, Redis down", []string{"status", "--config", redisDown}, closed},
		{"retry, Redis down", []string{"retry", "b1", "--config", redisDown}, closed},
	} {
		code, _, stderr := sohoa(t, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "secret-pw") {
			t.Errorf("%s: exit %d, want %d naming %s\n%s", c.name, code, exitUsage, c.want, stderr)
		}
	}
}

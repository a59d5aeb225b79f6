package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/pipeline/copies"
	"github.com/sohoa-vn/sohoa/pipeline/handover/handovertest"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/s3"
	"github.com/sohoa-vn/sohoa/storage/s3/s3test"
)

// copyEnv is a queueEnv (on a leased Redis database) whose
// archive bucket has no lock (so that the test can damage it) and whose
// configuration lists one copy, a locked bucket on a second MinIO server.
func copyEnv(t *testing.T) (*queueEnv, []string, *s3.Store, *s3.Store) {
	t.Helper()
	e := newQueueEnv(t)
	m := s3test.Start(t)
	keys := t.TempDir()
	ak, sk := filepath.Join(keys, "access"), filepath.Join(keys, "secret")
	os.WriteFile(ak, []byte(s3test.AccessKey+"\n"), 0o600)
	os.WriteFile(sk, []byte(s3test.SecretKey+"\n"), 0o600)
	f, err := os.OpenFile(e.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, `copies:
  - name: ban-sao-1
    endpoint: %s
    bucket: ban-sao
    accessKeyFile: %s
    secretKeyFile: %s
    retention: {mode: GOVERNANCE, years: 1}
`, m.Addr, ak, sk)
	f.Close()
	cp, err := s3.New(context.Background(), s3.Config{Endpoint: m.Addr, Bucket: "ban-sao", AccessKey: s3test.AccessKey,
		SecretKey: s3test.SecretKey, ObjectLock: true})
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"SOHOA_S3_ARCHIVEBUCKET=" + e.prefix + "-primary", "SOHOA_RETENTION_MODE=none"}
	return e, env, e.bucket(t, "primary"), cp
}

// fillCopies puts two packages into primary and copies them into cp, locked.
func fillCopies(t *testing.T, primary storage.Store, cp storage.CopyStore) {
	t.Helper()
	c := copies.Copy{Name: "ban-sao-1", Store: cp, Retention: func(now time.Time) *storage.Retention {
		return &storage.Retention{Mode: storage.Governance, Until: now.AddDate(1, 0, 0)}
	}}
	for id, n := range map[string]int{"lo-1": 5, "lo-2": 3} {
		dir := filepath.Join(t.TempDir(), id)
		handovertest.MakeBag(t, dir, id, n)
		handovertest.Upload(t, primary, dir, id)
		if _, err := copies.Replicate(context.Background(), primary, c, id+"/", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
}

func replaceWith(t *testing.T, s storage.CopyStore, key, text string) {
	t.Helper()
	h := sha256.Sum256([]byte(text))
	if _, err := s.Replace(context.Background(), key, bytes.NewReader([]byte(text)), int64(len(text)),
		storage.PutOptions{SHA256: hex.EncodeToString(h[:])}); err != nil {
		t.Fatal(err)
	}
}

// TestFixityHeals: "sohoa fixity" with a copy configured finds an object
// damaged and another deleted in the primary, restores both from the copy and
// records the incident; a second run is clean; the same object damaged in
// both stores is unrecoverable, loudly, with exit 1.
func TestFixityHeals(t *testing.T) {
	e, env, primary, cp := copyEnv(t)
	ctx := context.Background()
	fillCopies(t, primary, cp)
	altered := "lo-1/data/H49.64.33.2019.01.VTLT/H49.64.33.2019.01.VTLT.1.pdf"
	missing := "lo-2/data/H49.64.33.2025.02.VTLT/H49.64.33.2025.02.VTLT.2.pdf"
	replaceWith(t, primary, altered, "đã sửa")
	if err := primary.Delete(ctx, missing); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := e.run(t, env, "fixity")
	for _, want := range []string{"chinh: altered " + altered, "chinh: missing " + missing,
		"restored " + altered + " in chinh from ban-sao-1 (altered)", "restored " + missing + " in chinh from ban-sao-1 (missing)",
		"over 2 stores: ok; 2 repaired"} {
		if !strings.Contains(out, want) {
			t.Errorf("fixity output lacks %q", want)
		}
	}
	inc := regexp.MustCompile(`incident (\d+-\d+) recorded`).FindStringSubmatch(out)
	if code != exitOK || inc == nil {
		t.Fatalf("fixity that healed: exit %d, incident %v\n%s%s", code, inc, out, stderr)
	}
	for _, key := range []string{altered, missing} {
		want, _ := cp.Stat(ctx, key)
		if got := hashObject(t, primary, key); got != want.SHA256 {
			t.Errorf("%s in the primary: SHA-256 %s, want the copy's %s", key, got, want.SHA256)
		}
	}
	checkBackupRecords(t, e, env, inc[1], altered)

	out, stderr, code = e.run(t, env, "fixity")
	if code != exitOK || strings.Contains(out, "restored") || strings.Contains(out, "incident") || !strings.Contains(out, "ok; 0 repaired") {
		t.Fatalf("second run: exit %d\n%s%s", code, out, stderr)
	}
	if out, _, _ := e.run(t, env, "status"); !strings.Contains(out, ": ok (2 packages") {
		t.Errorf("status after the clean run:\n%s", out)
	}

	replaceWith(t, primary, altered, "hỏng ở bản chính")
	replaceWith(t, cp, altered, "hỏng ở bản sao")
	out, _, code = e.run(t, env, "fixity")
	if code != exitFailed || !strings.Contains(out, "UNRECOVERABLE: "+altered+" in chinh is altered") ||
		!strings.Contains(out, "UNRECOVERABLE: "+altered+" in ban-sao-1 is altered") {
		t.Fatalf("same object damaged in both: exit %d, want %d\n%s", code, exitFailed, out)
	}
}

func hashObject(t *testing.T, s storage.Store, key string) string {
	t.Helper()
	r, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestRestoreCommand: the primary archive bucket is wiped; "sohoa restore
// --dry-run" lists what would come back and writes nothing; the restore
// brings every package back from the copy, verified, and fixity is clean.
func TestRestoreCommand(t *testing.T) {
	e, env, primary, cp := copyEnv(t)
	ctx := context.Background()
	fillCopies(t, primary, cp)
	var keys []string
	primary.List(ctx, "", func(o storage.ObjectInfo) error { keys = append(keys, o.Key); return nil })
	for _, k := range keys {
		if err := primary.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	out, stderr, code := e.run(t, env, "restore", "--from", "ban-sao-1", "--to", "chinh", "--dry-run")
	if code != exitOK || !strings.Contains(out, "lo-1: would restore 10 of 10 objects") || !strings.Contains(out, "lo-2: would restore 8 of 8 objects") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, stderr)
	}
	n := 0
	primary.List(ctx, "", func(storage.ObjectInfo) error { n++; return nil })
	if n != 0 {
		t.Fatalf("the dry run wrote %d objects", n)
	}
	out, stderr, code = e.run(t, env, "restore", "--from", "ban-sao-1", "--to", "chinh")
	if code != exitOK || !strings.Contains(out, "lo-1: restored 10 of 10 objects, verified") || !strings.Contains(out, "2 packages, 0 failed") {
		t.Fatalf("restore: exit %d\n%s%s", code, out, stderr)
	}
	for _, k := range keys {
		want, _ := cp.Stat(ctx, k)
		if got := hashObject(t, primary, k); got != want.SHA256 {
			t.Errorf("%s restored with SHA-256 %s, the copy has %s", k, got, want.SHA256)
		}
	}
	if out, stderr, code := e.run(t, env, "fixity"); code != exitOK || !strings.Contains(out, "ok; 0 repaired") {
		t.Fatalf("fixity after the restore: exit %d\n%s%s", code, out, stderr)
	}
	if out, _, code := e.run(t, env, "restore", "--from", "ban-sao-1", "--to", "nowhere"); code != exitUsage {
		t.Errorf("restore to an unknown store: exit %d\n%s", code, out)
	}

	// A batch waiting for a copy reads as such in status.
	rdb := redis.NewClient(&redis.Options{Addr: e.svc.RedisAddr, DB: e.db})
	defer rdb.Close()
	if err := rdb.HSet(ctx, "sohoa:batch:lo-cho", "submitted", time.Now().UTC().Format(time.RFC3339Nano), "state", queue.StateCopying,
		"copies", "copy ban-sao-1: connection refused").Err(); err != nil {
		t.Fatal(err)
	}
	if out, _, _ := e.run(t, env, "status", "lo-cho"); !strings.Contains(out, "lo-cho\tcopying") ||
		!strings.Contains(out, "chưa đủ bản sao (not yet in every copy of the archive): copy ban-sao-1: connection refused") {
		t.Errorf("status of a batch waiting for its copy:\n%s", out)
	}
}

// checkBackupRecords writes the incident record of incident and the backup
// report of yesterday and today, signed with a development key, and checks them with
// pdftotext and pdfsig.
func checkBackupRecords(t *testing.T, e *queueEnv, env []string, incident, key string) {
	t.Helper()
	keys, err := seal.WriteDevelopmentKeys(t.TempDir(), "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	env = append(append([]string(nil), env...), "SOHOA_SEAL_KEYFILE="+keys.Key, "SOHOA_SEAL_CERTFILE="+keys.Cert, "SOHOA_SEAL_CAFILE="+keys.CA)
	dir := t.TempDir()
	// The report covers yesterday and today (+07:00): the checks it counts ran
	// earlier in the test, which may have started before midnight.
	now := time.Now().In(time.FixedZone("ICT", 7*3600))
	yesterday, today := now.AddDate(0, 0, -1).Format("2006-01-02"), now.Format("2006-01-02")
	org := "Sở Nội vụ tỉnh Bắc Minh"
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"backup", "incident", incident, "--out", filepath.Join(dir, "su-co.pdf"), "--org", org, "--place", "Bắc Minh"},
			[]string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "BIÊN BẢN", "Xử lý sự cố và phục hồi dữ liệu lưu trữ số", "Sự cố số " + incident,
				"Số đối tượng bị hỏng hoặc mất: 2; đã phục hồi: 2", "phục hồi từ ban-sao-1 (phiên bản", "bị thay đổi", "bị mất"}},
		{[]string{"backup", "report", "--from", yesterday, "--to", today, "--out", filepath.Join(dir, "sao-luu.pdf"), "--org", org, "--place", "Bắc Minh"},
			[]string{"BIÊN BẢN", "Sao lưu tài liệu lưu trữ số", "2 lần kiểm tra toàn vẹn, 1 sự cố", incident, "kiểm tra", "sự cố"}},
	} {
		out, stderr, code := e.run(t, env, c.args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d\n%s%s", c.args, code, out, stderr)
		}
		pdf := c.args[len(c.args)-5]
		txt, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", pdf, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext %s: %v", pdf, err)
		}
		for _, w := range c.want {
			if !strings.Contains(string(txt), w) {
				t.Errorf("%s lacks %q:\n%s", filepath.Base(pdf), w, txt)
			}
		}
		if b, err := exec.Command("pdfsig", pdf).CombinedOutput(); err != nil ||
			!strings.Contains(string(b), "Signature is Valid") || !strings.Contains(string(b), "Total document signed") {
			t.Errorf("pdfsig %s: %v\n%s", filepath.Base(pdf), err, b)
		}
		if c.args[1] == "incident" {
			plain, err := os.ReadFile(strings.TrimSuffix(pdf, ".pdf") + ".txt")
			if err != nil || !strings.Contains(string(plain), key) {
				t.Errorf("incident text record lacks %s: %v\n%s", key, err, plain)
			}
		}
	}
	if _, _, code := e.run(t, env, "backup", "incident", "1-0", "--out", filepath.Join(dir, "x.pdf")); code != exitUsage {
		t.Errorf("incident record of an unknown id: exit %d, want %d", code, exitUsage)
	}
}

package local

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/storagetest"
)

func newStore(t testing.TB) *Store {
	t.Helper()
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	var stores []*Store
	storagetest.Run(t, func(t *testing.T) storage.Store {
		s := newStore(t)
		stores = append(stores, s)
		return s
	})
	// No Put, failed or not, leaves a temporary file behind.
	for _, s := range stores {
		if entries, _ := os.ReadDir(s.tmp); len(entries) != 0 {
			t.Errorf("%s: %d temporary files left", s.tmp, len(entries))
		}
	}
}

func hexSum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestFilesUnderRoot(t *testing.T) {
	s := newStore(t)
	content := []byte("page")
	if _, err := s.Put(t.Context(), "inbox/b1/p.jpg", bytes.NewReader(content), 4, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(s.Root(), "inbox", "b1", "p.jpg"))
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("file under root = %q, %v", got, err)
	}
}

func TestSidecarLostOrStale(t *testing.T) {
	s := newStore(t)
	content := []byte("content to hash again")
	if _, err := s.Put(t.Context(), "k/x", bytes.NewReader(content), int64(len(content)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	// Lost sidecar (crash between link and sidecar write): Stat recomputes and repairs it.
	if err := os.Remove(s.metaPath("k/x")); err != nil {
		t.Fatal(err)
	}
	info, err := s.Stat(t.Context(), "k/x")
	if err != nil || info.SHA256 != hexSum(content) {
		t.Fatalf("Stat without sidecar = %+v, %v; want SHA-256 %s", info, err, hexSum(content))
	}
	if _, err := os.Stat(s.metaPath("k/x")); err != nil {
		t.Errorf("sidecar not repaired: %v", err)
	}
	// A sidecar describing another file (a different mtime) is ignored.
	b, _ := os.ReadFile(s.metaPath("k/x"))
	stale := bytes.Replace(b, []byte(hexSum(content)), []byte(hexSum([]byte("other"))), 1)
	if err := os.WriteFile(s.metaPath("k/x"), stale, 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(s.dataPath("k/x"), later, later); err != nil {
		t.Fatal(err)
	}
	if info, err := s.Stat(t.Context(), "k/x"); err != nil || info.SHA256 != hexSum(content) {
		t.Errorf("Stat with a stale sidecar = %+v, %v; want SHA-256 %s", info, err, hexSum(content))
	}
}

// TestRetention: a retained object cannot be deleted or overwritten until its
// retention ends, then it can. The store's clock is the test's: a real
// deadline a moment ahead could pass while a loaded machine fsyncs the Puts.
func TestRetention(t *testing.T) {
	s := newStore(t)
	now := time.Now()
	s.now = func() time.Time { return now }
	content := []byte("quyết định, kept for years")
	until := now.Add(time.Hour)
	opts := storage.PutOptions{Retention: &storage.Retention{Mode: storage.Compliance, Until: until}}
	if _, err := s.Put(t.Context(), "locked/x", bytes.NewReader(content), int64(len(content)), opts); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(s.dataPath("locked/x"))
	if err != nil || fi.Mode().Perm()&0o222 != 0 {
		t.Fatalf("retained file mode = %v, %v; want read-only", fi.Mode(), err)
	}
	err = s.Delete(t.Context(), "locked/x")
	if !errors.Is(err, storage.ErrLocked) || storage.IsTransient(err) {
		t.Fatalf("Delete under retention = %v, want permanent ErrLocked", err)
	}
	// Re-putting the same content stays idempotent; other content is refused.
	if _, err := s.Put(t.Context(), "locked/x", bytes.NewReader(content), int64(len(content)), opts); err != nil {
		t.Errorf("idempotent Put under retention: %v", err)
	}
	if _, err := s.Put(t.Context(), "locked/x", bytes.NewReader([]byte("x")), 1, storage.PutOptions{}); !errors.Is(err, storage.ErrExists) {
		t.Errorf("overwrite under retention = %v, want ErrExists", err)
	}
	now = until.Add(time.Second) // the retention has ended
	if err := s.Delete(t.Context(), "locked/x"); err != nil {
		t.Fatalf("Delete after retention ended: %v", err)
	}
	if _, err := s.Stat(t.Context(), "locked/x"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("Stat after Delete = %v", err)
	}
	// Bad retention is refused before anything is written.
	for _, r := range []*storage.Retention{{Mode: "FOREVER", Until: until.Add(time.Hour)}, {Mode: storage.Governance, Until: now.Add(-time.Second)}} {
		if _, err := s.Put(t.Context(), "locked/y", bytes.NewReader(content), int64(len(content)), storage.PutOptions{Retention: r}); err == nil {
			t.Errorf("Put with retention %+v succeeded", *r)
		}
	}
}

func TestKeyUsedAsDirectory(t *testing.T) {
	s := newStore(t)
	if _, err := s.Put(t.Context(), "a/b", bytes.NewReader([]byte("x")), 1, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(t.Context(), "a/b/c", bytes.NewReader([]byte("y")), 1, storage.PutOptions{}); err == nil {
		t.Error("Put under an existing object's key succeeded")
	}
	if _, err := s.Put(t.Context(), "a", bytes.NewReader([]byte("z")), 1, storage.PutOptions{}); err == nil {
		t.Error("Put to a key that is a directory of another key succeeded")
	}
	if got, err := s.Stat(t.Context(), "a/b"); err != nil || got.Size != 1 {
		t.Errorf("Stat(a/b) = %+v, %v", got, err)
	}
}

func TestStaleTempsRemoved(t *testing.T) {
	root := t.TempDir()
	s, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	old, fresh := filepath.Join(s.tmp, "put-old"), filepath.Join(s.tmp, "put-fresh")
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-2 * staleTemp)
	os.Chtimes(old, long, long)
	if _, err := New(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temporary file kept: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temporary file (a Put in progress) removed: %v", err)
	}
}

func BenchmarkPut(b *testing.B) {
	for _, size := range []int{64 << 10, 4 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			s := newStore(b)
			content := bytes.Repeat([]byte("sohoa"), size/5)
			b.SetBytes(int64(len(content)))
			for i := 0; b.Loop(); i++ {
				if _, err := s.Put(b.Context(), fmt.Sprintf("b/%d", i), bytes.NewReader(content), int64(len(content)), storage.PutOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkStat(b *testing.B) {
	s := newStore(b)
	content := bytes.Repeat([]byte("sohoa"), 1<<20)
	if _, err := s.Put(b.Context(), "x", bytes.NewReader(content), int64(len(content)), storage.PutOptions{}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Stat(b.Context(), "x"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet(b *testing.B) {
	s := newStore(b)
	content := bytes.Repeat([]byte("sohoa"), 1<<20)
	if _, err := s.Put(b.Context(), "x", bytes.NewReader(content), int64(len(content)), storage.PutOptions{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(content)))
	for b.Loop() {
		rc, err := s.Get(b.Context(), "x")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, rc)
		rc.Close()
	}
}

func TestCopyConformance(t *testing.T) {
	storagetest.RunCopy(t, func(t *testing.T) storage.CopyStore { return newStore(t) }, true)
}

// storage.DeleteAll on a store without DeleteMany: one Delete per key.
func TestDeleteAllConformance(t *testing.T) {
	storagetest.RunDeleteAll(t, func(t *testing.T) storage.Store { return newStore(t) }, true, 20)
}

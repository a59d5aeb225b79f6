package storagetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/storage"
)

// RunCopy checks the storage.CopyStore contract (besides Run, which the backend also runs). newStore must return an
// empty store, a fresh one for each call; locks says whether it accepts PutOptions.Retention (an S3 bucket without
// object lock does not).
func RunCopy(t *testing.T, newStore func(t *testing.T) storage.CopyStore, locks bool) {
	t.Run("RetentionOf", func(t *testing.T) { testRetentionOf(t, newStore(t), locks) })
	t.Run("Replace", func(t *testing.T) { testReplace(t, newStore(t), locks) })
	t.Run("ReplaceChecksum", func(t *testing.T) { testReplaceChecksum(t, newStore(t)) })
}

func testRetentionOf(t *testing.T, s storage.CopyStore, locks bool) {
	ctx := t.Context()
	put(t, s, "free/a", []byte("không khóa"), storage.PutOptions{})
	if r, err := s.RetentionOf(ctx, "free/a"); err != nil || r != nil {
		t.Errorf("RetentionOf(unlocked) = %v, %v; want nil, nil", r, err)
	}
	if _, err := s.RetentionOf(ctx, "free/missing"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("RetentionOf(missing) error %v, want ErrNotExist", err)
	}
	if !locks {
		return
	}
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	put(t, s, "locked/a", []byte("đã khóa"), storage.PutOptions{Retention: &storage.Retention{Mode: storage.Governance, Until: until}})
	r, err := s.RetentionOf(ctx, "locked/a")
	if err != nil || r == nil || r.Mode != storage.Governance || !r.Until.Truncate(time.Second).Equal(until) {
		t.Errorf("RetentionOf(locked) = %+v, %v; want %s until %s", r, err, storage.Governance, until)
	}
}

func testReplace(t *testing.T, s storage.CopyStore, locks bool) {
	ctx := t.Context()
	var opts storage.PutOptions
	if locks {
		opts.Retention = &storage.Retention{Mode: storage.Governance, Until: time.Now().Add(time.Hour)}
	}
	put(t, s, "pkg/a", []byte("bị hỏng"), opts)
	good := []byte("nội dung đúng")
	opts.SHA256 = sum(good)
	info, err := s.Replace(ctx, "pkg/a", bytes.NewReader(good), int64(len(good)), opts)
	if err != nil {
		t.Fatalf("Replace: %v", err)
	}
	checkInfo(t, "Replace", info, "pkg/a", good)
	if got := get(t, s, "pkg/a"); !bytes.Equal(got, good) {
		t.Errorf("Get after Replace = %q, want %q", got, good)
	}
	st, err := s.Stat(ctx, "pkg/a")
	if err != nil {
		t.Fatal(err)
	}
	checkInfo(t, "Stat after Replace", st, "pkg/a", good)
	if locks {
		if r, err := s.RetentionOf(ctx, "pkg/a"); err != nil || r == nil {
			t.Errorf("RetentionOf after a locked Replace = %v, %v; want a lock", r, err)
		}
	}
	// Replace of a missing key stores it.
	info, err = s.Replace(ctx, "pkg/b", bytes.NewReader(good), int64(len(good)), storage.PutOptions{SHA256: sum(good)})
	if err != nil {
		t.Fatalf("Replace(missing): %v", err)
	}
	checkInfo(t, "Replace(missing)", info, "pkg/b", good)
	if _, err := s.Replace(ctx, "pkg/c", bytes.NewReader(good), int64(len(good)), storage.PutOptions{}); err == nil {
		t.Error("Replace without SHA-256 succeeded")
	}
	wantNotExist(t, s, "pkg/c")
}

func testReplaceChecksum(t *testing.T, s storage.CopyStore) {
	old := []byte("bản cũ")
	put(t, s, "pkg/a", old, storage.PutOptions{})
	bad := []byte("không khớp")
	_, err := s.Replace(t.Context(), "pkg/a", bytes.NewReader(bad), int64(len(bad)), storage.PutOptions{SHA256: sum([]byte("khác"))})
	if !errors.Is(err, storage.ErrChecksum) {
		t.Errorf("Replace with a wrong SHA-256: %v, want ErrChecksum", err)
	}
	if got := get(t, s, "pkg/a"); !bytes.Equal(got, old) {
		t.Errorf("after a refused Replace the object is %q, want %q", got, old)
	}
}

package queue

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/storage"
)

// TestFetchTrustsCheckedCopy: an original fetched and checked once is
// trusted by the next task that needs it (no second download, its identity
// the SHA-256 recorded at submit), but not once its local copy changed, nor
// once it was replaced by a new version (another recorded SHA-256).
// layout: long: one scenario against real services, each step asserting
// what the previous one left.
func TestFetchTrustsCheckedCopy(t *testing.T) {
	q, inbox, _ := newTestQueue(t)
	ctx := context.Background()
	b := loadSample(t)
	if _, err := q.Submit(ctx, b, pipeline.LoadOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	file := documents(b)[0].d.Pages[0].File
	orig, err := os.ReadFile(filepath.Join(b.Dir, filepath.FromSlash(file)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	local := filepath.Join(dir, filepath.FromSlash(file))
	fetch := func(step string, wantGets int64, want []byte) {
		t.Helper()
		inbox.gets.Store(0)
		got, err := q.fetchFiles(ctx, b.ID, dir, []string{file})
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		s := sha256.Sum256(want)
		if o := got[file]; o.SHA256 != hex.EncodeToString(s[:]) || o.Size != int64(len(want)) || o.File != file {
			t.Errorf("%s: identity %+v, want %x and %d bytes", step, o, s, len(want))
		}
		if n := inbox.gets.Load(); n != wantGets {
			t.Errorf("%s: %d downloads, want %d", step, n, wantGets)
		}
		if data, err := os.ReadFile(local); err != nil || !bytes.Equal(data, want) {
			t.Errorf("%s: the local copy is not the expected original (%v)", step, err)
		}
	}
	fetch("first page", 1, orig)
	fetch("second page of the same original", 0, orig)

	// The local copy changes (another worker sharing the folder, a hand):
	// it is checked again and fetched anew.
	if err := os.WriteFile(local, []byte("not the scan"), 0o644); err != nil {
		t.Fatal(err)
	}
	fetch("after the local copy changed", 1, orig)

	// The original is replaced by a new version, as Replace records it: the
	// copy checked before is not the current one any more.
	newer := append(bytes.Clone(orig), 0, 0)
	s := sha256.Sum256(newer)
	v := version{Version: 2, SHA256: hex.EncodeToString(s[:]), Size: int64(len(newer)), Key: versionKey(b.ID, 2, file), Stored: time.Now()}
	if _, err := inbox.Put(ctx, v.Key, bytes.NewReader(newer), v.Size, storage.PutOptions{SHA256: v.SHA256}); err != nil {
		t.Fatal(err)
	}
	vs, _ := json.Marshal([]version{{Version: 1, Key: inboxKey(b.ID, file)}, v})
	if err := q.rdb.HSet(ctx, keyFiles(b.ID), file, v.SHA256).Err(); err != nil {
		t.Fatal(err)
	}
	if err := q.rdb.HSet(ctx, keyVersions(b.ID), file, vs).Err(); err != nil {
		t.Fatal(err)
	}
	fetch("after the original was replaced", 1, newer)
	fetch("second page of the new version", 0, newer)
}

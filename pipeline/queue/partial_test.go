package queue

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/storage"
)

// inboxSums returns the SHA-256 of every original stored under batch id.
func inboxSums(t *testing.T, s storage.Store, id string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	err := s.List(ctx, id+"/", func(oi storage.ObjectInfo) error {
		st, err := s.Stat(ctx, oi.Key)
		if err != nil {
			return err
		}
		out[strings.TrimPrefix(oi.Key, id+"/")] = st.SHA256
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// copyBatch copies ../../testdata/batch to a temporary folder.
func copyBatch(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "batch")
	err := filepath.WalkDir("../../testdata/batch", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("../../testdata/batch", p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestSubmitAfterFailedSubmit: a submit that failed half way does not hold
// its id. A different batch under that id removes what was left (an
// original with other content, an original it does not have) and is stored
// whole, exactly its own files; the same batch resumes (TestSubmitResume).
// Once a batch is recorded under the id, another is refused and nothing in
// the inbox changes; while one submit of an id runs, another is refused.
// layout: long: one scenario told step by step against real services, each
// step asserting what the previous one left.
func TestSubmitAfterFailedSubmit(t *testing.T) {
	q, inbox, _ := newTestQueue(t)
	a := loadSample(t)
	ctx, cancel := context.WithCancel(context.Background())
	q.stores.Inbox = switchedOff(inbox, a)
	files := batchFiles(a)
	if _, err := q.Submit(ctx, a, pipeline.LoadOptions{}, func(done, total int) {
		for _, f := range files[:done] { // told in file order, once stored
			if _, err := inbox.Stat(context.Background(), inboxKey(a.ID, f)); err != nil {
				t.Errorf("told %d of %d files stored before %s was: %v", done, total, f, err)
			}
		}
		if done == 2 {
			cancel() // the station is switched off after two files
		}
	}); err == nil {
		t.Fatal("interrupted submit reported no error")
	}
	q.stores.Inbox = inbox // switched on again
	left := inboxSums(t, inbox, a.ID)
	const changed = "H49.64.33.2024.01.VTLT/1/page-001.jpg"
	if len(left) != 2 || left[changed] == "" {
		t.Fatalf("after the interrupted submit the inbox holds %v, want two pages, %s among them", left, changed)
	}
	stray := "stray/only-in-a.tif"
	if _, err := inbox.Put(context.Background(), inboxKey(a.ID, stray), strings.NewReader("II*\x00"), 4, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}

	// Another batch under the same id: one page (changed) has other bytes,
	// the other files are the same.
	b := otherSample(t)
	want, _, err := localSums(b)
	if err != nil {
		t.Fatal(err)
	}
	if want[changed] == left[changed] {
		t.Fatalf("the second batch's %s is not different", changed)
	}
	inbox.puts.Store(0)
	res, err := q.Submit(context.Background(), b, pipeline.LoadOptions{}, nil)
	if err != nil {
		t.Fatalf("a different batch under an id whose submit never completed: %v", err)
	}
	if res.Removed != 2 || res.Uploaded != len(want)-1 || !res.Enqueued {
		t.Errorf("second batch: %+v; want 2 leftovers removed (the other page, the stray), %d uploaded, enqueued", res, len(want)-1)
	}
	got := inboxSums(t, inbox, b.ID)
	if len(got) != len(want) {
		t.Errorf("inbox holds %d originals, want the %d of the second batch: %v", len(got), len(want), got)
	}
	for f, sum := range want {
		if got[f] != sum {
			t.Errorf("%s: stored %q, want the second batch's %s", f, got[f], sum)
		}
	}

	// Recorded now: the first batch is refused, and nothing changes.
	if _, err := q.Submit(context.Background(), a, pipeline.LoadOptions{}, nil); !errors.Is(err, ErrConflict) {
		t.Errorf("the first batch over the recorded second: %v, want ErrConflict", err)
	}
	if after := inboxSums(t, inbox, b.ID); len(after) != len(want) || after[changed] != want[changed] {
		t.Errorf("a refused submit changed the inbox: %v", after)
	}

	// One submit of an id at a time.
	_, release, err := q.claim(context.Background(), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Submit(context.Background(), b, pipeline.LoadOptions{}, nil); !errors.Is(err, ErrBusy) || !errors.Is(err, ErrConflict) {
		t.Errorf("submit while another runs: %v, want ErrBusy (and ErrConflict)", err)
	}
	release()
	if res, err := q.Submit(context.Background(), b, pipeline.LoadOptions{}, nil); err != nil || res.Uploaded != 0 || res.Enqueued || res.Removed != 0 {
		t.Errorf("identical re-submit once the other ended: %+v, %v; want a no-op", res, err)
	}
}

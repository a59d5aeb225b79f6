package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/storage"
)

// keyGetStore notes the keys got from it.
type keyGetStore struct {
	storage.Store
	mu   sync.Mutex
	keys []string
}

func (s *keyGetStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	s.mu.Lock()
	s.keys = append(s.keys, key)
	s.mu.Unlock()
	return s.Store.Get(ctx, key)
}

// docGets returns, sorted, the document files (not page results) got since
// the last call, and forgets every key got.
func (s *keyGetStore) docGets() []string { return s.take("/docs/") }

// pageGets returns, sorted, the page results got since the last call, and
// forgets every key got.
func (s *keyGetStore) pageGets() []string { return s.take("/pages/") }

// take returns, sorted, the keys holding part got since the last call, and
// forgets every key got.
func (s *keyGetStore) take(part string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, k := range s.keys {
		if strings.Contains(k, part) {
			out = append(out, k)
		}
	}
	s.keys = nil
	slices.Sort(out)
	return out
}

// twoWorkers are two workers on the same Redis and stores, each with a
// cache folder of its own and the work store noting the keys got from it,
// with the sample batch submitted through q1 and its batch task run.
type twoWorkers struct {
	q1, q2 *Queue
	work   *keyGetStore
	pool   *ocr.Pool // of one OCR engine
	b      *pipeline.Batch
}

// newTwoWorkers returns twoWorkers; first, when set, is called with q1
// before its stores are shared.
func newTwoWorkers(t *testing.T, first func(q1 *Queue)) *twoWorkers {
	t.Helper()
	q1, _, url := newTestQueue(t)
	if first != nil {
		first(q1)
	}
	w := &twoWorkers{q1: q1, work: &keyGetStore{Store: q1.stores.Work}, b: loadSample(t)}
	q1.stores.Work = w.work
	var err error
	if w.q2, err = New(url, q1.stores, q1.opts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.q2.Close() })
	w.q2.opts.CacheDir = t.TempDir()
	if w.pool, err = ocr.NewPool(1, ocr.Options{Languages: "vie"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.pool.Close() })
	ctx := context.Background()
	if _, err := q1.Submit(ctx, w.b, pipeline.LoadOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := q1.handleBatch(ctx, taskOf(TypeBatch, batchPayload{w.b.ID})); err != nil {
		t.Fatal(err)
	}
	return w
}

// changeKept changes a byte in the middle of the file q keeps of work
// store key.
func changeKept(t *testing.T, q *Queue, key string) {
	t.Helper()
	q.kept.mu.Lock()
	name := q.kept.files[key].path
	q.kept.mu.Unlock()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// taskOf returns the task of type typ with payload p.
func taskOf(typ string, p any) *asynq.Task {
	js, _ := json.Marshal(p)
	return asynq.NewTask(typ, js)
}

// TestPackageKeptDocuments: the package task on the worker that built a
// batch's documents takes their PDF, text and ALTO from the files it kept
// when it stored them, and downloads none of them; but never a kept file
// that is not what the work store holds: one whose put found a different
// object (stored by an earlier delivery), one changed on disk since, one of
// an earlier version of the batch (Replace deletes what it makes anew) are
// downloaded instead. Another worker, which kept nothing, downloads them
// all and makes the same package, byte for byte; once the batch is packaged
// the kept files are gone.
//
// layout: long: one scenario told step by step against real services, each
// step asserting on the state the previous one left.
func TestPackageKeptDocuments(t *testing.T) {
	w := newTwoWorkers(t, nil)
	q1, q2, work, pool, b := w.q1, w.q2, w.work, w.pool, w.b
	ctx := context.Background()
	docs := documents(b)
	for d, dr := range docs {
		for _, pg := range dr.d.Pages {
			if err := q1.handlePage(ctx, taskOf(TypePage, pagePayload{b.ID, d, pg.Index}), pool); err != nil {
				t.Fatal(err)
			}
		}
	}
	// An earlier delivery of document 2's task stored another text.
	earlier := []byte("stored by an earlier delivery\n")
	if err := putOnce(ctx, work, docKey(b.ID, 2, "txt"), earlier); err != nil {
		t.Fatal(err)
	}
	for d := range docs {
		if err := q1.handleDocument(ctx, taskOf(TypeDocument, docPayload{b.ID, d})); err != nil {
			t.Fatal(err)
		}
	}
	work.docGets()

	assemble := func(q *Queue) string { return assembleBag(t, q, b.ID) }
	textOf := func(bagDir string, d int) []byte {
		t.Helper()
		code := docs[d].f.Meta.FileCode
		data, err := os.ReadFile(filepath.Join(bagDir, bag.PayloadDir, code, pipeline.TextName(code, docs[d].d.Meta.DocOrdinal)))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}

	kept := assemble(q1)
	if got, want := work.docGets(), []string{docKey(b.ID, 2, "txt")}; !slices.Equal(got, want) {
		t.Errorf("the worker that stored the documents downloaded %q; want only %q, which it did not store", got, want)
	}
	if got := textOf(kept, 2); !bytes.Equal(got, earlier) {
		t.Errorf("document 2's text in the package is %q, not the stored %q", got, earlier)
	}

	downloaded := assemble(q2)
	if got := work.docGets(); len(got) != 3*len(docs) {
		t.Errorf("a worker that kept nothing downloaded %d document files, want %d: %q", len(got), 3*len(docs), got)
	}
	sameTree(t, kept, downloaded)

	// A kept PDF changed on disk (same size) is downloaded instead.
	changeKept(t, q1, docKey(b.ID, 0, "pdf"))
	tampered := assemble(q1)
	if got, want := work.docGets(), []string{docKey(b.ID, 0, "pdf"), docKey(b.ID, 2, "txt")}; !slices.Equal(got, want) {
		t.Errorf("with a kept PDF changed on disk the worker downloaded %q, want %q", got, want)
	}
	sameTree(t, tampered, downloaded)

	// Replace deletes document 1's results and moves the batch to a new
	// version; the document made again stores another text.
	again := []byte("made again from a replaced original\n")
	if err := work.Delete(ctx, docKey(b.ID, 1, "txt")); err != nil {
		t.Fatal(err)
	}
	if err := putOnce(ctx, work, docKey(b.ID, 1, "txt"), again); err != nil {
		t.Fatal(err)
	}
	if err := q1.rdb.HIncrBy(ctx, keyBatch(b.ID), "version", 1).Err(); err != nil {
		t.Fatal(err)
	}
	replaced := assemble(q1)
	if got := textOf(replaced, 1); !bytes.Equal(got, again) {
		t.Errorf("after a replace, document 1's text in the package is %q, not the stored %q", got, again)
	}
	if got := work.docGets(); len(got) != 3*len(docs) {
		t.Errorf("after a replace the worker downloaded %d document files, want all %d: %q", len(got), 3*len(docs), got)
	}

	q1.cleanPackaged(ctx, b.ID, false)
	if _, err := os.Stat(q1.keptDir(b.ID)); !os.IsNotExist(err) {
		t.Errorf("kept document files left after the batch was packaged: %v", err)
	}
	if n := len(q1.kept.files); n != 0 {
		t.Errorf("%d kept document files still remembered after the batch was packaged", n)
	}
}

// assembleBag builds the package of batch id as q's package task does, into
// a new folder, and returns the bag's folder.
func assembleBag(t *testing.T, q *Queue, id string) string {
	t.Helper()
	ctx := context.Background()
	m, qb, docStatus, _, err := q.packageInputs(ctx, id)
	if err != nil || qb == nil {
		t.Fatalf("package inputs: %v, %v", qb, err)
	}
	rep, err := q.assemble(ctx, id, m, qb, docStatus, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return rep.Bag
}

// sameTree fails t unless the folders a and b hold the same files with the same content.
func sameTree(t *testing.T, a, b string) {
	t.Helper()
	read := func(dir string) map[string][]byte {
		files := map[string][]byte{}
		err := filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
			if err != nil || de.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			files[rel], err = os.ReadFile(p)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	fa, fb := read(a), read(b)
	if len(fa) == 0 || len(fa) != len(fb) {
		t.Errorf("%d files, then %d", len(fa), len(fb))
	}
	for name, data := range fa {
		if other, ok := fb[name]; !ok || !bytes.Equal(data, other) {
			t.Errorf("%s differs (present in both: %v)", name, ok)
		}
	}
}

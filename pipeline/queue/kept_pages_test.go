package queue

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"maps"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/storage/s3/s3test"
)

// TestKeptPageResults: the document and package tasks on the worker that
// made a batch's pages take their results from the copies it kept when it
// stored them, and download none; another worker downloads them and makes
// the same package. Never a kept result that is not what the work store
// holds: one whose put found a different object (stored by an earlier
// delivery, on another worker), one changed on disk since, one of an
// earlier version of the batch (Replace deletes what it makes anew), one of
// an earlier submission under the batch's id (an abandoned submit's) is
// downloaded instead. Once the batch is packaged here, its kept results are
// gone.
//
// layout: long: one scenario told step by step against real services, each
// step asserting on the state the previous one left.
func TestKeptPageResults(t *testing.T) {
	var reqs *s3test.Requests
	w := newTwoWorkers(t, func(q1 *Queue) { reqs = countS3Requests(t, q1) })
	q1, q2, work, pool, b := w.q1, w.q2, w.work, w.pool, w.b
	ctx := context.Background()
	docs := documents(b)
	var all []string // every page's result
	for d, dr := range docs {
		for _, pg := range dr.d.Pages {
			all = append(all, pageKey(b.ID, d, pg.Index))
		}
	}
	slices.Sort(all)
	page := func(q *Queue, d, p int) {
		t.Helper()
		if err := q.handlePage(ctx, taskOf(TypePage, pagePayload{b.ID, d, p}), pool); err != nil {
			t.Fatal(err)
		}
	}
	// An earlier delivery of page 1 of document 0, on q2, stored its
	// result; q1's delivery began before that one recorded the page, and
	// finds another result stored.
	earlier := pageKey(b.ID, 0, 1)
	page(q2, 0, 1)
	if err := q1.rdb.SRem(ctx, keyDocPages(b.ID, 0), 1).Err(); err != nil {
		t.Fatal(err)
	}
	for d, dr := range docs {
		for _, pg := range dr.d.Pages {
			page(q1, d, pg.Index)
		}
	}
	reqs.Take()
	work.take("")

	// stored returns the page result stored under key, not counted.
	stored := func(key string) pageResult {
		t.Helper()
		data, err := getAll(ctx, work.Store, key)
		if err != nil {
			t.Fatal(err)
		}
		var pr pageResult
		if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&pr); err != nil {
			t.Fatal(err)
		}
		return pr
	}
	// restore stores pr under key in place of what is there, as a page
	// made again after its result was deleted does.
	restore := func(key string, pr pageResult) {
		t.Helper()
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(&pr); err != nil {
			t.Fatal(err)
		}
		if err := work.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
		if err := putOnce(ctx, work, key, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	// sameAsStored fails t unless every page result q takes, as its document
	// and package tasks do (loadPage), is the one stored: the timings of
	// each delivery differ.
	sameAsStored := func(q *Queue, when string) {
		t.Helper()
		m, err := q.meta(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		for d, dr := range docs {
			for _, pg := range dr.d.Pages {
				res, _, err := q.loadPage(ctx, b.ID, m, d, pg, nil)
				if err != nil {
					t.Fatalf("%s: page %d/%d: %v", when, d, pg.Index, err)
				}
				if want := stored(pageKey(b.ID, d, pg.Index)).Timings; res.Timings != want {
					t.Errorf("%s: page %d/%d is not the stored result: made in %+v, stored %+v", when, d, pg.Index, res.Timings, want)
				}
			}
		}
	}

	for d := range docs {
		if err := q1.handleDocument(ctx, taskOf(TypeDocument, docPayload{b.ID, d})); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := work.pageGets(), []string{earlier}; !slices.Equal(got, want) {
		t.Errorf("the document tasks on the worker that made the pages downloaded %q; want only %q, which another delivery stored", got, want)
	}
	if got, want := reqs.Take(), map[string]int{"GET": 1, "PUT": 3 * len(docs)}; !maps.Equal(got, want) {
		t.Errorf("the document tasks on the worker that made the pages: S3 requests %v, want %v", got, want)
	}

	kept := assembleBag(t, q1, b.ID)
	if got, want := work.pageGets(), []string{earlier}; !slices.Equal(got, want) {
		t.Errorf("the package on the worker that made the pages downloaded %q; want only %q, which another delivery stored", got, want)
	}
	if got, want := reqs.Take(), map[string]int{"GET": 1}; !maps.Equal(got, want) {
		t.Errorf("the package on the worker that made the pages and documents: S3 requests %v, want %v", got, want)
	}
	sameAsStored(q1, "on the worker that made the pages")
	work.take("")
	reqs.Take()

	downloaded := assembleBag(t, q2, b.ID)
	want := slices.DeleteFunc(slices.Clone(all), func(k string) bool { return k == earlier }) // q2 stored that one
	if got := work.pageGets(); !slices.Equal(got, want) {
		t.Errorf("the package on another worker downloaded the page results %q, want %q", got, want)
	}
	originals := map[string]bool{} // those q2 has not fetched for the page it made
	for _, dr := range docs[1:] {
		for _, pg := range dr.d.Pages {
			originals[pg.File] = true
		}
	}
	if got, want := reqs.Take(), map[string]int{"GET": len(want) + 3*len(docs) + len(originals)}; !maps.Equal(got, want) {
		t.Errorf("the package on another worker: S3 requests %v, want %v (page results, document files, originals)", got, want)
	}
	sameTree(t, kept, downloaded)

	// A kept result changed on disk (same size) is downloaded instead.
	changed := pageKey(b.ID, 1, 1)
	changeKept(t, q1, changed)
	sameAsStored(q1, "with a kept result changed on disk")
	if got, want := work.pageGets(), []string{earlier, changed}; !slices.Equal(got, want) {
		t.Errorf("with a kept result changed on disk the worker downloaded %q, want %q", got, want)
	}

	// Replace deletes the result of page 1 of document 2 and moves the
	// batch to a new version; the page made again stores another result.
	pr := stored(pageKey(b.ID, 2, 1))
	pr.Timings.OCR += time.Millisecond
	restore(pageKey(b.ID, 2, 1), pr)
	if err := q1.rdb.HIncrBy(ctx, keyBatch(b.ID), "version", 1).Err(); err != nil {
		t.Fatal(err)
	}
	work.take("")
	sameAsStored(q1, "after a replace")
	if got := work.pageGets(); !slices.Equal(got, all) {
		t.Errorf("after a replace the worker downloaded %q, want every page result %q", got, all)
	}

	// Another batch submitted under the id, after an abandoned submit of
	// this one, at its first version, stores another result of page 1 of
	// document 3.
	pr = stored(pageKey(b.ID, 3, 1))
	pr.Timings.OCR += time.Millisecond
	restore(pageKey(b.ID, 3, 1), pr)
	if err := q1.rdb.HSet(ctx, keyBatch(b.ID), "version", 0, "sub", "another submission").Err(); err != nil {
		t.Fatal(err)
	}
	work.take("")
	sameAsStored(q1, "for another batch submitted under the id")
	if got := work.pageGets(); !slices.Equal(got, all) {
		t.Errorf("for another batch submitted under the id the worker downloaded %q, want every page result %q", got, all)
	}

	// Packaging the batch forgets what was kept of it, and only that.
	m, err := q1.meta(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	other := pageKey("other", 0, 1)
	q1.keep("other", m, other, hex.EncodeToString(sha256.New().Sum(nil)), func(dst string) error { return writeFileAtomic(dst, nil) })
	q1.cleanPackaged(ctx, b.ID, false)
	if _, err := os.Stat(q1.keptDir(b.ID)); !os.IsNotExist(err) {
		t.Errorf("kept page results left after the batch was packaged: %v", err)
	}
	q1.kept.mu.Lock()
	left := slices.Collect(maps.Keys(q1.kept.files))
	q1.kept.mu.Unlock()
	if !slices.Equal(left, []string{other}) {
		t.Errorf("kept objects remembered after the batch was packaged: %q, want only another batch's %q", left, other)
	}
	if _, ok := q1.keptObject("other", m, other); !ok {
		t.Errorf("another batch's kept object is gone with this batch")
	}
}

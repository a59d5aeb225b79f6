package queue

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage/s3"
)

// countingObserver counts the pages the workers report.
type countingObserver struct{ done, failed atomic.Int64 }

func (o *countingObserver) PageDone(context.Context, *pipeline.PageResult) { o.done.Add(1) }
func (o *countingObserver) PageFailed(context.Context, string)             { o.failed.Add(1) }
func (o *countingObserver) Stage(context.Context, string, time.Duration)   {}

// TestInFlightDuplicates delivers every task of a running batch (batch, each
// page, each document, package) twice at the same time to two workers (two
// Queues with their own local caches), before its result is recorded, and
// once more after it is: every task is enqueued once, every page is processed
// and counted once, no object is stored twice, nothing is stored by a
// delivery that comes after the result was recorded, and the package is
// complete and valid.
//
// layout: long: one scenario told step by step against real services, each
// step asserting on the state the previous one left; split, its steps would
// only be read together (issue 11 left its assertions as they were).
func TestInFlightDuplicates(t *testing.T) {
	q1, _, url := newTestQueue(t)
	q1.opts.CleanWork = false
	ctx := context.Background()
	work := &countingStore{Store: q1.stores.Work}
	archive := &countingStore{Store: q1.stores.Archive}
	q1.stores.Work, q1.stores.Archive = work, archive
	obs := &countingObserver{}
	q1.opts.Observer = obs
	q2, err := New(url, q1.stores, q1.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer q2.Close()
	q2.opts.CacheDir = t.TempDir()
	workers := []*Queue{q1, q2}
	pools := make([]*ocr.Pool, 2)
	for i := range pools {
		if pools[i], err = ocr.NewPool(1, ocr.Options{Languages: "vie"}); err != nil {
			t.Fatal(err)
		}
		defer pools[i].Close()
	}
	ro, err := asynq.ParseRedisURI(url)
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(ro)
	defer insp.Close()
	// pending returns the IDs of the pending tasks of type typ, sorted.
	pending := func(typ string) []string {
		t.Helper()
		tasks, err := insp.ListPendingTasks("default", asynq.PageSize(1000))
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, ti := range tasks {
			if ti.Type == typ {
				ids = append(ids, ti.ID)
			}
		}
		sort.Strings(ids)
		return ids
	}
	task := func(typ string, p any) *asynq.Task {
		js, _ := json.Marshal(p)
		return asynq.NewTask(typ, js)
	}
	handlers := func(w int) map[string]func(context.Context, *asynq.Task) error {
		q := workers[w]
		return map[string]func(context.Context, *asynq.Task) error{
			TypeBatch:    q.handleBatch,
			TypePage:     func(ctx context.Context, t *asynq.Task) error { return q.handlePage(ctx, t, pools[w]) },
			TypeDocument: q.handleDocument,
			TypePackage:  q.handlePackage,
		}
	}
	// twice delivers tk to both workers at once.
	twice := func(tk *asynq.Task) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for w := range 2 {
			wg.Add(1)
			go func() { defer wg.Done(); errs[w] = handlers(w)[tk.Type()](ctx, tk) }()
		}
		wg.Wait()
		for w, err := range errs {
			if err != nil {
				t.Fatalf("%s %s, worker %d: %v", tk.Type(), tk.Payload(), w+1, err)
			}
		}
	}
	// again delivers tk once more, after its result was recorded: it must store nothing.
	again := func(tk *asynq.Task) {
		t.Helper()
		wp, ap := work.puts.Load(), archive.puts.Load()
		if err := handlers(1)[tk.Type()](ctx, tk); err != nil {
			t.Fatalf("%s %s delivered again: %v", tk.Type(), tk.Payload(), err)
		}
		if work.puts.Load() != wp || archive.puts.Load() != ap {
			t.Errorf("%s %s delivered after its result was recorded stored again: %d work, %d archive PUTs",
				tk.Type(), tk.Payload(), work.puts.Load()-wp, archive.puts.Load()-ap)
		}
	}

	b := loadSample(t)
	if _, err := q1.Submit(ctx, b, pipeline.LoadOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	docs := documents(b)

	// Batch: its page tasks are enqueued once each.
	twice(task(TypeBatch, batchPayload{b.ID}))
	var wantPages []string
	for d, dr := range docs {
		for _, pg := range dr.d.Pages {
			wantPages = append(wantPages, pageTaskID(b.ID, d, pg.Index, 0))
		}
	}
	sort.Strings(wantPages)
	if got := pending(TypePage); !slices.Equal(got, wantPages) {
		t.Fatalf("page tasks after the batch task twice: %v, want %v", got, wantPages)
	}

	// Pages: each processed, stored and counted once.
	for d, dr := range docs {
		for _, pg := range dr.d.Pages {
			tk := task(TypePage, pagePayload{b.ID, d, pg.Index})
			twice(tk)
			again(tk)
		}
	}
	if n := obs.done.Load(); n != int64(len(wantPages)) || obs.failed.Load() != 0 {
		t.Errorf("%d pages reported done, %d failed; want each of the %d once", n, obs.failed.Load(), len(wantPages))
	}
	var wantDocs []string
	for d := range docs {
		wantDocs = append(wantDocs, docTaskID(b.ID, d, 0))
	}
	sort.Strings(wantDocs)
	if got := pending(TypeDocument); !slices.Equal(got, wantDocs) {
		t.Fatalf("document tasks after the pages: %v, want %v", got, wantDocs)
	}

	// Documents: each built and stored once.
	for d := range docs {
		tk := task(TypeDocument, docPayload{b.ID, d})
		twice(tk)
		again(tk)
	}
	if got, want := pending(TypePackage), []string{packageTaskID(b.ID, 0)}; !slices.Equal(got, want) {
		t.Fatalf("package tasks after the documents: %v, want %v", got, want)
	}
	objects := snapshot(t, work.Store)
	if want := len(wantPages) + 3*len(docs); len(objects) != want {
		t.Errorf("work store holds %d objects, want %d (a result per page, PDF, text and ALTO per document)", len(objects), want)
	}

	// Package: written once, complete and valid.
	tk := task(TypePackage, batchPayload{b.ID})
	twice(tk)
	pkg := snapshot(t, archive.Store)
	again(tk)
	for _, d := range diffSnapshots(pkg, snapshot(t, archive.Store)) {
		t.Errorf("package changed by a delivery after it was written: %s", d)
	}
	for _, d := range diffSnapshots(objects, snapshot(t, work.Store)) {
		t.Errorf("work store changed by the package task: %s", d)
	}
	st, err := q1.Status(ctx, b.ID)
	if err != nil || st.State != StateComplete || st.DocumentsDone != 4 || st.PagesDone != 4 || st.PagesFailed != 0 {
		t.Fatalf("status = %+v, %v", st, err)
	}
	dir, pdfs := testenv.FetchPackage(t, archive.Store, b.ID)
	if pdfs != 4 {
		t.Errorf("package has %d PDFs, want 4", pdfs)
	}
	checkBag(t, dir, "complete", "4 of 4")

	// Three deliveries, two of them at once, record the state change once
	// (checked before the reference run below, which queues the batch again).
	trail, err := q1.AuditTrail(ctx, b.ID)
	if err != nil || len(trail) != 1 || trail[0].Action != audit.State || trail[0].After != StateComplete.String() {
		t.Errorf("audit trail after duplicate deliveries: %+v %v; want one state change", trail, err)
	}

	// The same package made by one delivery alone, into another bucket, from
	// the same stored results: identical, object for object.
	ref := newBucket(t, q1.stores.Work.(*countingStore).Store.(*s3.Store).Bucket()+"-ref", false)
	q3, err := New(url, Stores{Inbox: q1.stores.Inbox, Work: work.Store, Archive: ref}, Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer q3.Close()
	if err := q3.rdb.HSet(ctx, keyBatch(b.ID), "state", StateQueued).Err(); err != nil {
		t.Fatal(err)
	}
	if err := q3.handlePackage(ctx, tk); err != nil {
		t.Fatal(err)
	}
	if len(pkg) == 0 {
		t.Fatal("nothing archived")
	}
	for _, d := range diffSnapshots(pkg, snapshot(t, ref)) {
		if strings.Contains(d, " "+audit.ArchivePrefix) {
			continue // the audit trail's mirror: the state change is recorded once, in the first archive
		}
		t.Errorf("package written by two deliveries at once differs from one delivery's: %s", d)
	}
}

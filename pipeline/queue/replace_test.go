package queue

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
)

// copySample copies the sample batch (following its links) to a new folder.
func copySample(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "batch")
	if err := testenv.CopyTree("../../testdata/batch", dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func loadDir(t *testing.T, dir string) *pipeline.Batch {
	t.Helper()
	b, err := pipeline.Load(context.Background(), dir, pipeline.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReplaceCorruptPage: a batch with a corrupt page is packaged incomplete;
// submitting the corrected folder again is refused (a different batch under
// the id) and stores nothing; Replace stores the corrected file as a new
// version beside the first, re-runs only that page and its document, and the
// package comes out complete, with the current original in it and both
// versions hashed in PREMIS. Once complete, the batch refuses Replace
// (ErrSealed); the corrected folder submitted again is a no-op.
//
// layout: long: one scenario told step by step against real services, each
// step asserting on the state the previous one left; split, its steps would
// only be read together (issue 11 left its assertions as they were).
func TestReplaceCorruptPage(t *testing.T) {
	q, _, _ := newTestQueue(t)
	ctx := context.Background()
	obs := &countingObserver{}
	q.opts.Observer = obs
	dir := copySample(t)
	const file = "H49.64.33.2024.01.VTLT/2/page-001.tif"
	good, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), corruptTIFF(good, len(good)/3), 0o644); err != nil {
		t.Fatal(err)
	}
	corrupt, _, _ := bag.HashFile(filepath.Join(dir, file))
	b := loadDir(t, dir)
	if _, err := q.Submit(ctx, b, pipeline.LoadOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	_, stop := startWorker(t, q, 2)
	defer stop()
	st := waitFinished(t, q, b.ID, batchLimit)
	if st.State != StateIncomplete || st.DocumentsFailed != 1 || st.Failures[1] == "" {
		t.Fatalf("status = %+v, want document 2 failed", st)
	}
	if _, err := q.Replace(ctx, b, pipeline.LoadOptions{}, tester); err != nil {
		t.Fatalf("replace with nothing changed: %v", err)
	}

	// The station fixes the page.
	if err := os.WriteFile(filepath.Join(dir, file), good, 0o644); err != nil {
		t.Fatal(err)
	}
	fixed, _, _ := bag.HashFile(filepath.Join(dir, file))
	b = loadDir(t, dir)
	inbox := snapshot(t, q.stores.Inbox)
	if _, err := q.Submit(ctx, b, pipeline.LoadOptions{}, nil); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), file) {
		t.Errorf("submit of the changed batch under its id: %v, want ErrConflict naming %s", err, file)
	}
	for _, d := range diffSnapshots(inbox, snapshot(t, q.stores.Inbox)) {
		t.Errorf("refused submit stored something: %s", d)
	}
	pagesBefore := obs.done.Load()
	res, err := q.Replace(ctx, b, pipeline.LoadOptions{}, tester)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Files, ",") != file || res.Pages != 1 || len(res.Document) != 1 || res.Document[0] != 1 {
		t.Errorf("replace = %+v, want %s, 1 page, document 1", res, file)
	}
	st = waitFinished(t, q, b.ID, batchLimit)
	if st.State != StateComplete || st.DocumentsDone != 4 || st.PagesDone != 4 || st.PagesFailed != 0 {
		t.Fatalf("status after replace = %+v", st)
	}
	if n := obs.done.Load() - pagesBefore; n != 1 {
		t.Errorf("%d pages processed after the replacement, want only the replaced one", n)
	}

	// Both versions are kept in the inbox.
	if info, err := q.stores.Inbox.Stat(ctx, inboxKey(b.ID, file)); err != nil || info.SHA256 != corrupt {
		t.Errorf("first version: %+v, %v; want kept with SHA-256 %s", info, err, corrupt)
	}
	if info, err := q.stores.Inbox.Stat(ctx, versionKey(b.ID, 2, file)); err != nil || info.SHA256 != fixed {
		t.Errorf("second version: %+v, %v; want SHA-256 %s", info, err, fixed)
	}

	// The package holds the fixed page; PREMIS hashes both versions.
	pkg, pdfs := testenv.FetchPackage(t, q.stores.Archive, b.ID)
	if pdfs != 4 {
		t.Errorf("package has %d PDFs, want 4", pdfs)
	}
	checkBag(t, pkg, "complete", "4 of 4")
	if sum, _, err := bag.HashFile(filepath.Join(pkg, "data/originals", file)); err != nil || sum != fixed {
		t.Errorf("original in the package: %s, %v; want the fixed version %s", sum, err, fixed)
	}
	premis, err := os.ReadFile(filepath.Join(pkg, bag.PremisFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"<objectIdentifierValue>superseded/v1/" + file + "</objectIdentifierValue>",
		"<messageDigest>" + corrupt + "</messageDigest>",
		"<messageDigest>" + fixed + "</messageDigest>",
		"<eventType>modification</eventType>",
		"kept as " + inboxKey(b.ID, file),
	} {
		if strings.Count(string(premis), want) != 1 {
			t.Errorf("PREMIS has %d times %q, want once", strings.Count(string(premis), want), want)
		}
	}

	// Complete: sealed and locked, no more replacing; the same folder again is a no-op.
	if err := os.WriteFile(filepath.Join(dir, file), corruptTIFF(good, len(good)/2), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Replace(ctx, loadDir(t, dir), pipeline.LoadOptions{}, tester); !errors.Is(err, ErrSealed) {
		t.Errorf("replace in a complete batch: %v, want ErrSealed", err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), good, 0o644); err != nil {
		t.Fatal(err)
	}
	inbox = snapshot(t, q.stores.Inbox)
	if r, err := q.Submit(ctx, loadDir(t, dir), pipeline.LoadOptions{}, nil); err != nil || r.Uploaded != 0 || r.Enqueued {
		t.Errorf("identical re-upload: %+v, %v; want nothing done", r, err)
	}
	for _, d := range diffSnapshots(inbox, snapshot(t, q.stores.Inbox)) {
		t.Errorf("identical re-upload stored something: %s", d)
	}
	if st2, err := q.Status(ctx, b.ID); err != nil || st2.State != StateComplete || st2.Retries != st.Retries {
		t.Errorf("status after the identical re-upload: %+v, %v", st2, err)
	}
}

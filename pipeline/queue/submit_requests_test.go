package queue

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/storage"
)

// TestSubmitRequests checks what a new batch's submit asks of the inbox:
// one listing (leftovers of an earlier submit), then for each file one
// upload, with no look first, large files (over 1 MiB) included; submitting
// it again asks nothing. A submit that resumes an interrupted one looks only
// at the files the listing names and uploads only the others.
func TestSubmitRequests(t *testing.T) {
	q, _, _ := newTestQueue(t)
	reqs := countS3Requests(t, q)
	b := loadSample(t)
	res, err := q.Submit(context.Background(), b, pipeline.LoadOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Uploaded != res.Files {
		t.Errorf("submit: %+v, want every file uploaded", res)
	}
	want := map[string]int{"GET": 1, "PUT": res.Files}
	if got := reqs.Take(); !maps.Equal(got, want) {
		t.Errorf("submit of %d files: S3 requests %v, want %v", res.Files, got, want)
	}
	if res, err := q.Submit(context.Background(), b, pipeline.LoadOptions{}, nil); err != nil || res.Uploaded != 0 {
		t.Fatalf("second submit: %+v, %v", res, err)
	}
	if got := reqs.Take(); len(got) != 0 {
		t.Errorf("second submit of a recorded batch: S3 requests %v, want none", got)
	}

	// An interrupted submit left two of the files in another queue's inbox.
	q2, _, _ := newTestQueue(t)
	files := batchFiles(b)
	for _, f := range files[:2] {
		data, err := os.ReadFile(filepath.Join(b.Dir, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := q2.stores.Inbox.Put(t.Context(), inboxKey(b.ID, f), bytes.NewReader(data), int64(len(data)), storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	reqs = countS3Requests(t, q2)
	res, err = q2.Submit(context.Background(), b, pipeline.LoadOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Uploaded != len(files)-2 || res.Removed != 0 {
		t.Errorf("resumed submit: %+v, want %d files uploaded, none removed", res, len(files)-2)
	}
	want = map[string]int{"GET": 1, "HEAD": 2, "PUT": len(files) - 2}
	if got := reqs.Take(); !maps.Equal(got, want) {
		t.Errorf("resumed submit of %d files, 2 of them stored before: S3 requests %v, want %v", len(files), got, want)
	}
	for _, f := range files {
		if info, err := q2.stores.Inbox.Stat(t.Context(), inboxKey(b.ID, f)); err != nil || info.SHA256 == "" {
			t.Errorf("%s after the resumed submit: %+v, %v", f, info, err)
		}
	}
}

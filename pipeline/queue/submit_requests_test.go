package queue

import (
	"context"
	"maps"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline"
)

// TestSubmitRequests checks what a new batch's submit asks of the inbox:
// one listing (leftovers of an earlier submit), then for each file one look
// and one upload, large files (over 1 MiB) included; submitting it again
// asks nothing.
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
	want := map[string]int{"GET": 1, "HEAD": res.Files, "PUT": res.Files}
	if got := reqs.Take(); !maps.Equal(got, want) {
		t.Errorf("submit of %d files: S3 requests %v, want %v", res.Files, got, want)
	}
	if res, err := q.Submit(context.Background(), b, pipeline.LoadOptions{}, nil); err != nil || res.Uploaded != 0 {
		t.Fatalf("second submit: %+v, %v", res, err)
	}
	if got := reqs.Take(); len(got) != 0 {
		t.Errorf("second submit of a recorded batch: S3 requests %v, want none", got)
	}
}

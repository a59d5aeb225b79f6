package state

import (
	"errors"
	"slices"
	"testing"
)

// Every transition in the table is allowed, and only those: every other pair
// of known states is refused.
func TestTransitionTable(t *testing.T) {
	bs := []BatchState{BatchUploading, BatchQueued, BatchComplete, BatchIncomplete, BatchFailed, BatchCopying, BatchReview, BatchApproved, BatchRejected}
	rs := []ReviewState{ReviewUnreviewed, ReviewAccepted, ReviewRejected}
	ds := []DocState{DocPending, DocDone, DocEmpty, DocFailed}
	allowed := map[[2]string]bool{}
	for _, tr := range transitions {
		allowed[[2]string{stringOf(tr.from), stringOf(tr.to)}] = true
	}
	nb, nd := 0, 0
	for _, from := range bs {
		for _, to := range bs {
			err := CheckBatch(from, to)
			if want := allowed[[2]string{string(from), string(to)}]; want != (err == nil) {
				t.Errorf("batch %s -> %s: allowed %v, got %v", from, to, want, err)
			} else if want {
				nb++
			} else if !errors.Is(err, ErrTransition) {
				t.Errorf("batch %s -> %s: %v is not ErrTransition", from, to, err)
			}
		}
	}
	for _, from := range ds {
		for _, to := range ds {
			err := CheckDoc(from, to)
			if want := allowed[[2]string{string(from), string(to)}]; want != (err == nil) {
				t.Errorf("document %s -> %s: allowed %v, got %v", from, to, want, err)
			} else if want {
				nd++
			}
		}
	}
	nr := 0
	for _, from := range rs {
		for _, to := range rs {
			err := CheckReview(from, to)
			if want := allowed[[2]string{string(from), string(to)}]; want != (err == nil) {
				t.Errorf("review %s -> %s: allowed %v, got %v", from, to, want, err)
			} else if want {
				nr++
			}
		}
	}
	// The table as documented: 17 batch transitions, 5 document ones, 5 review ones.
	if nb != 17 || nd != 5 || nr != 5 || len(transitions) != nb+nd+nr {
		t.Errorf("%d batch, %d document and %d review transitions allowed, table has %d rows; want 17, 5, 5, 27", nb, nd, nr, len(transitions))
	}
}

func stringOf(s any) string {
	switch v := s.(type) {
	case BatchState:
		return string(v)
	case DocState:
		return string(v)
	case ReviewState:
		return string(v)
	}
	return ""
}

// The transitions the queue makes are allowed; a sample of those it must
// never make is refused.
func TestTransitions(t *testing.T) {
	for _, c := range []struct {
		from, to BatchState
		ok       bool
	}{
		{BatchQueued, BatchComplete, true},
		{BatchQueued, BatchIncomplete, true},
		{BatchQueued, BatchFailed, true},
		{BatchFailed, BatchQueued, true},
		{BatchIncomplete, BatchQueued, true},
		{BatchComplete, BatchQueued, false},     // a complete package is sealed: never re-run
		{BatchComplete, BatchFailed, false},     // a late failure does not undo a sealed package
		{BatchComplete, BatchIncomplete, false}, // nor does a late incomplete duplicate
		{BatchComplete, BatchComplete, false},   // a duplicate package task records nothing
		{BatchFailed, BatchComplete, false},     // only a re-run (queued) can package
		{BatchIncomplete, BatchComplete, false},
		{BatchQueued, BatchQueued, false},
		{"", BatchQueued, false},
		{BatchQueued, "sealed", false},
	} {
		if err := CheckBatch(c.from, c.to); (err == nil) != c.ok {
			t.Errorf("batch %q -> %q: want allowed %v, got %v", c.from, c.to, c.ok, err)
		}
	}
	for _, c := range []struct {
		from, to DocState
		ok       bool
	}{
		{DocPending, DocDone, true},
		{DocPending, DocEmpty, true},
		{DocPending, DocFailed, true},
		{DocFailed, DocPending, true},
		{DocDone, DocPending, true},
		{DocDone, DocFailed, false}, // a done document is not failed by a late duplicate
		{DocFailed, DocDone, false}, // nor made done without being re-run
		{DocEmpty, DocPending, false},
		{DocPending, DocPending, false},
	} {
		if err := CheckDoc(c.from, c.to); (err == nil) != c.ok {
			t.Errorf("document %q -> %q: want allowed %v, got %v", c.from, c.to, c.ok, err)
		}
	}
}

func TestBatchSources(t *testing.T) {
	if got, want := BatchSources(BatchQueued), []BatchState{BatchUploading, BatchFailed, BatchIncomplete, BatchReview, BatchRejected}; !slices.Equal(got, want) {
		t.Errorf("sources of queued: %v, want %v", got, want)
	}
	if got, want := BatchSources(BatchComplete), []BatchState{BatchQueued, BatchCopying, BatchApproved}; !slices.Equal(got, want) {
		t.Errorf("sources of complete: %v, want %v", got, want)
	}
	if got, want := BatchSources(BatchApproved), []BatchState{BatchReview}; !slices.Equal(got, want) {
		t.Errorf("sources of approved: %v, want %v", got, want)
	}
}

func TestParse(t *testing.T) {
	for _, s := range []string{"uploading", "queued", "complete", "incomplete", "failed", "copying", "review", "approved", "rejected"} {
		if st, err := ParseBatch(s); err != nil || st.String() != s {
			t.Errorf("ParseBatch(%q) = %q, %v", s, st, err)
		}
	}
	for _, s := range []string{"", "done", "Queued", "queued "} {
		if _, err := ParseBatch(s); err == nil {
			t.Errorf("ParseBatch(%q): no error", s)
		}
	}
	if !BatchComplete.Finished() || !BatchIncomplete.Finished() || !BatchFailed.Finished() || BatchUploading.Finished() || BatchQueued.Finished() || BatchCopying.Finished() || BatchState("x").Finished() {
		t.Error("Finished: want complete, incomplete and failed only")
	}
}

// A document's status reads back as written, in the form the queue has
// always stored ("failed: <reason>"), and malformed text is refused.
func TestDocStatus(t *testing.T) {
	for _, c := range []struct {
		st   DocStatus
		text string
	}{
		{DocStatus{State: DocDone}, "done"},
		{DocStatus{State: DocEmpty}, "empty"},
		{Failed("page 2: ocr: no text"), "failed: page 2: ocr: no text"},
		{Failed("pdf: a: b"), "failed: pdf: a: b"},
	} {
		if got := c.st.String(); got != c.text {
			t.Errorf("%+v.String() = %q, want %q", c.st, got, c.text)
		}
		back, err := ParseDocStatus(c.text)
		if err != nil || back != c.st {
			t.Errorf("ParseDocStatus(%q) = %+v, %v; want %+v", c.text, back, err, c.st)
		}
	}
	for _, bad := range []string{"", "failed", "done: x", "ok", "failed:x", "Failed: x"} {
		if st, err := ParseDocStatus(bad); !errors.Is(err, ErrBadStatus) {
			t.Errorf("ParseDocStatus(%q) = %+v, %v; want ErrBadStatus", bad, st, err)
		}
	}
}

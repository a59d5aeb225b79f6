package queue

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/state"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage"
)

// The reviewer of the tests.
var reviewer = audit.Actor{Name: "Trần Văn Kiểm", Role: "reviewer", Addr: "127.0.0.1"}

// Document numbers of the sample batch, in batch order.
const (
	docMismatch = 2 // H49.64.33.2025.02.VTLT 1: the catalogue says 313, the page 312
	replacedPNG = "H49.64.33.2025.02.VTLT/01-cv-giao-nop.png"
)

// reviewSample copies the sample batch with a catalogue/page mismatch on
// document docMismatch (codeNumber 313 in batch.json, 312 on the page).
func reviewSample(t *testing.T) string {
	t.Helper()
	dir := copySample(t)
	p := filepath.Join(dir, "batch.json")
	js, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	fixed := strings.Replace(string(js), `"codeNumber": "312"`, `"codeNumber": "313"`, 1)
	if fixed == string(js) {
		t.Fatal("batch.json: codeNumber 312 not found")
	}
	if err := os.WriteFile(p, []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// rescan returns the PNG png with a tEXt chunk after its header: a new scan
// of the same page (other bytes, the same pixels and resolution).
func rescan(png []byte) []byte {
	data := []byte("Comment\x00rescanned")
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	body := append([]byte("tEXt"), data...)
	chunk = append(chunk, body...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(body))
	const afterIHDR = 8 + 25
	out := append([]byte(nil), png[:afterIHDR]...)
	out = append(out, chunk...)
	return append(out, png[afterIHDR:]...)
}

// reviewQueue returns a queue that holds batches for review, signing with
// the development key and locking packages in an object-locked archive.
func reviewQueue(t *testing.T) *Queue {
	t.Helper()
	q, _, _ := newTestQueue(t)
	q.stores.Archive = newBucket(t, testenv.BucketPrefix(t)+"-locked", true)
	q.opts.Retention = func(now time.Time) *storage.Retention {
		return &storage.Retention{Mode: storage.Governance, Until: now.Add(24 * time.Hour)}
	}
	q.opts.Review = ReviewOptions{Required: true, Sample: 0.3, Place: "Bắc Minh"}
	q.opts.CleanWork = false
	return q
}

// archived lists the archive's objects that are not audit mirrors.
func archived(t *testing.T, q *Queue) []string {
	t.Helper()
	var keys []string
	err := q.stores.Archive.List(context.Background(), "", func(o storage.ObjectInfo) error {
		if !strings.HasPrefix(o.Key, audit.ArchivePrefix) {
			keys = append(keys, o.Key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// countActions counts batch id's audit entries by action (state changes by "before>after").
func countActions(t *testing.T, q *Queue, id string) map[string]int {
	t.Helper()
	es, err := q.AuditTrail(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, e := range es {
		if e.Action == audit.State {
			n[e.Before+">"+e.After]++
			continue
		}
		n[e.Action]++
	}
	return n
}

// TestReviewBeforeSealing: with review.required a processed batch waits in
// review and nothing of it is archived, sealed or locked; the refused
// actions are refused (approve before the sample is accepted, accept a
// document of a rejected batch..., a field that fails validation); a
// rejected document's page is replaced and processed again; once every
// sampled document is accepted Approve packages the batch, sealed and
// locked, with the corrections and the signed inspection record; after that
// nothing can be corrected, accepted or replaced. Each action is audited once.
func TestReviewBeforeSealing(t *testing.T) {
	q := reviewQueue(t)
	ctx := context.Background()
	roots, trust := withDevSigner(t, q)
	dir := reviewSample(t)
	b := loadDir(t, dir)
	if _, err := q.Submit(ctx, b, pipeline.LoadOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	_, stop := startWorker(t, q, 2)
	defer stop()
	if st := waitFinished(t, q, b.ID, batchLimit); st.State != state.BatchReview {
		t.Fatalf("status = %+v, want review", st)
	}
	if keys := archived(t, q); len(keys) != 0 {
		t.Fatalf("before approval the archive holds %v", keys)
	}
	plan := reviewPlanChecked(t, q, b.ID)
	refusedBeforeAcceptance(t, q, b.ID)
	rejectAndReplace(t, q, dir, b.ID)
	acceptSample(t, q, b.ID)
	if err := q.Approve(ctx, b.ID, reviewer); err != nil {
		t.Fatal(err)
	}
	if st := waitFinished(t, q, b.ID, batchLimit); st.State != StateComplete {
		t.Fatalf("after approval: %+v", st)
	}
	pkg := checkSealedPackage(t, q, b.ID, roots, trust)
	checkInspectionRecord(t, pkg, plan)
	refusedAfterSealing(t, q, dir, b.ID)
	want := map[string]int{audit.Correct: 1, audit.Reject: 1, audit.Approve: 1, audit.Accept: plan.Counts.Sampled,
		"queued>review": 2, "review>rejected": 1, "rejected>queued": 1, "review>approved": 1, "approved>complete": 1}
	got := countActions(t, q, b.ID)
	for k, n := range want {
		if got[k] != n {
			t.Errorf("audit: %d %q entries, want %d (all: %v)", got[k], k, n, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("audit: entries %v, want only %v", got, want)
	}
}

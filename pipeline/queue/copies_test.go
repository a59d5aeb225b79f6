package queue

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/copies"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/s3"
	"github.com/sohoa-vn/sohoa/storage/s3/s3test"
)

// TestCopiesWaitForCopy: the archive has a copy on a second MinIO server,
// which is down when the batch is packaged. The batch waits in StateCopying
// with the reason (never complete with one copy); once the server is back the
// retried replicate step copies the package and the seal chain, and the batch
// completes with every object in both stores, equal and locked.
func TestCopiesWaitForCopy(t *testing.T) {
	q, _, arch := newLockedQueue(t, 80) // Redis database 100 (issue 18's range 100-109)
	ctx := context.Background()
	keys, err := seal.WriteDevelopmentKeys(t.TempDir(), "Sở Nội vụ tỉnh Bắc Minh", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if q.opts.Signer, err = seal.LoadSigner(keys.Key, keys.Cert); err != nil {
		t.Fatal(err)
	}
	m := s3test.Start(t)
	cs, err := s3.New(ctx, s3.Config{Endpoint: m.Addr, Bucket: "ban-sao", AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey, ObjectLock: true})
	if err != nil {
		t.Fatal(err)
	}
	q.opts.Copies = []copies.Copy{{Name: "ban-sao-1", Store: cs, Retention: func(now time.Time) *storage.Retention {
		return &storage.Retention{Mode: storage.Governance, Until: now.Add(24 * time.Hour)}
	}}}
	m.Stop()

	b := loadSample(t)
	if _, err := q.Submit(ctx, b, pipeline.LoadOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	_, stop := startWorker(t, q, 1)
	defer stop()
	st := waitCopyFailed(t, q, b.ID)
	if st.Finished() || !strings.Contains(st.Copies, "ban-sao-1") {
		t.Fatalf("with the copy down: %+v; want state %s naming the copy", st, StateCopying)
	}
	m.Start(t)
	st = waitFinished(t, q, b.ID, batchLimit)
	if st.State != StateComplete || st.Copies != "" || st.DocumentsDone != b.Documents() {
		t.Fatalf("after the copy came back: %+v", st)
	}
	primary, copied := snapshot(t, arch), snapshot(t, cs)
	if len(primary) == 0 || !sameSnapshot(primary, copied) {
		t.Fatalf("copy differs from the primary: %v", diffSnapshots(primary, copied))
	}
	chain := 0
	for key := range copied {
		if strings.HasPrefix(key, seal.StoreChainPrefix) {
			chain++
		}
		for name, s := range map[string]storage.CopyStore{"primary": arch, "copy": cs} {
			if r, err := s.RetentionOf(ctx, key); err != nil || r == nil || r.Mode != storage.Governance {
				t.Errorf("%s: %s has retention %+v (%v), want %s", name, key, r, err, storage.Governance)
			}
		}
	}
	if chain == 0 {
		t.Error("the seal chain is not in the copy")
	}
	t.Logf("%d objects in both stores, %d of them seal chain entries", len(copied), chain)
}

// waitCopyFailed waits until the replicate step of batch id has failed once
// (the reason is recorded) and returns the status then.
func waitCopyFailed(t *testing.T, q *Queue, id string) *BatchStatus {
	t.Helper()
	deadline := time.Now().Add(batchLimit)
	for {
		s, err := q.Status(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if s.Finished() || (s.State == StateCopying && s.Copies != "waiting") {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch %s: no failed copy after %v: %+v", id, batchLimit, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

package queue

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/copies"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/s3"
	"github.com/sohoa-vn/sohoa/storage/s3/s3test"
)

// TestCopiesWaitForCopy: the archive has a copy on a second MinIO server,
// which is down when the batch is packaged. The batch waits in StateCopying
// with the reason (never complete with one copy); once the server is back the
// retried replicate step copies the package, its audit trail so far and the
// seal chain, and the batch completes with every object in both stores, equal
// and locked.
// layout: long: one scenario told step by step against two MinIO servers,
// each step asserting what the previous one left.
func TestCopiesWaitForCopy(t *testing.T) {
	q, _, arch := newLockedQueue(t)
	ctx := context.Background()
	roots, trust := withDevSigner(t, q)
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
	// The audit trail's mirror goes with the batch as far as it was written
	// when the package was copied: each entry copied is the primary's, and
	// the entries after (the batch complete) stay in the primary alone.
	trail := 0
	for key, sum := range copied {
		if strings.HasPrefix(key, audit.ArchivePrefix) {
			if !strings.HasPrefix(key, audit.ArchivePrefix+b.ID+"/") || primary[key] != sum {
				t.Errorf("audit mirror in the copy: %s (SHA-256 %s) is not the primary's entry of batch %s", key, sum, b.ID)
			}
			trail++
		}
	}
	for key := range primary {
		if _, ok := copied[key]; !ok && strings.HasPrefix(key, audit.ArchivePrefix) {
			delete(primary, key)
		}
	}
	if len(primary) == 0 || !sameSnapshot(primary, copied) {
		t.Fatalf("copy differs from the primary: %v", diffSnapshots(primary, copied))
	}
	if trail == 0 {
		t.Error("the batch's audit trail is not in the copy")
	}
	chain := 0
	for key := range copied {
		if strings.HasPrefix(key, seal.StoreChainPrefix) {
			chain++
		}
		for name, s := range map[string]storage.CopyStore{"primary": arch, "copy": cs} {
			if name == "primary" && strings.HasPrefix(key, audit.ArchivePrefix) {
				continue // the audit mirror is appended to, unlocked, in the primary (the bucket keeps versions)
			}
			if r, err := s.RetentionOf(ctx, key); err != nil || r == nil || r.Mode != storage.Governance {
				t.Errorf("%s: %s has retention %+v (%v), want %s", name, key, r, err, storage.Governance)
			}
		}
	}
	if chain == 0 {
		t.Error("the seal chain is not in the copy")
	}
	t.Logf("%d objects in both stores, %d of them seal chain entries, %d audit entries", len(copied), chain, trail)

	// Restore drill: an empty locked bucket (the primary rebuilt on new
	// hardware) is restored from the copy; every package is verified (seal,
	// PDF signatures) as it is restored.
	rebuilt, err := s3.New(ctx, s3.Config{Endpoint: arch.Client().EndpointURL().Host, Bucket: arch.Bucket() + "-moi",
		AccessKey: testenv.Get(t).S3AccessKey, SecretKey: testenv.Get(t).S3SecretKey, ObjectLock: true})
	if err != nil {
		t.Fatal(err)
	}
	to := copies.Copy{Name: "chinh", Store: rebuilt, Retention: q.opts.Retention}
	dry, err := copies.Restore(ctx, cs, to, nil, copies.RestoreOptions{DryRun: true, Roots: roots, Trust: trust})
	if err != nil || len(dry) != 1 || dry[0].ID != b.ID || dry[0].Missing != dry[0].Objects || dry[0].Objects != len(copied)-chain {
		t.Fatalf("dry run: %+v, %v; want %s with %d objects missing", dry, err, b.ID, len(copied)-chain)
	}
	if n := len(snapshot(t, rebuilt)); n != 0 {
		t.Fatalf("the dry run wrote %d objects", n)
	}
	done, err := copies.Restore(ctx, cs, to, nil, copies.RestoreOptions{Roots: roots, Trust: trust})
	if err != nil || len(done) != 1 || done[0].Err != nil {
		t.Fatalf("restore: %+v, %v", done, err)
	}
	if got := snapshot(t, rebuilt); !sameSnapshot(got, copied) {
		t.Fatalf("restored store differs from the copy: %v", diffSnapshots(copied, got))
	}
	if err := copies.VerifyPackage(ctx, rebuilt, b.ID, roots, trust, t.TempDir()); err != nil {
		t.Fatalf("restored package: %v", err)
	}
	// A package whose seal no longer matches does not pass the drill.
	if err := copies.VerifyPackage(ctx, &tamperedStore{Store: rebuilt, key: b.ID + "/bag-info.txt"}, b.ID, roots, trust, t.TempDir()); err == nil {
		t.Error("a package with an altered bag-info.txt verified")
	} else {
		t.Logf("altered package: %v", err)
	}
}

// tamperedStore serves key with one byte more, as an altered object would read.
type tamperedStore struct {
	storage.Store
	key string
}

func (s *tamperedStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	r, err := s.Store.Get(ctx, key)
	if err != nil || key != s.key {
		return r, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(append(data, '\n'))), nil
}

func (s *tamperedStore) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	info, err := s.Store.Stat(ctx, key)
	if err != nil || key != s.key {
		return info, err
	}
	r, err := s.Get(ctx, key)
	if err != nil {
		return info, err
	}
	defer r.Close()
	h := sha256.New()
	info.Size, err = io.Copy(h, r)
	info.SHA256 = hex.EncodeToString(h.Sum(nil))
	return info, err
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

package queue

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/aip"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/pades"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/pipeline/seal/signertest"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage"
)

// TestAIPArchived: with signed PDFs and an object-locked archive, the
// package task stores one AIP_hoso per hồ sơ under aip/<batch id>/, locked;
// the zips are byte for byte what "sohoa process" writes from the same bag
// (aip.WriteAll); each passes the package checker; and a redelivered package
// task changes nothing in the archive (no second package for a hồ sơ).
// layout: long: one scenario told step by step against real services, each
// step asserting what the previous one left.
func TestAIPArchived(t *testing.T) {
	q, _, arch := newLockedQueue(t)
	q.opts.CleanWork = false // the package task runs again below
	ctx := context.Background()
	roots, trust := withDevSigner(t, q)
	q.opts.AIP = aip.Options{Fonds: "H49", ArchiveCode: "H49.LTLS"}

	b := loadSample(t)
	runComplete(t, q, b)
	prefix := aip.ArchivePrefix + b.ID + "/"
	var stored []string
	if err := arch.List(ctx, prefix, func(o storage.ObjectInfo) error { stored = append(stored, o.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	sort.Strings(stored)

	// What process writes from the same bag.
	bagDir, _ := testenv.FetchPackage(t, arch, b.ID)
	local := filepath.Join(t.TempDir(), "aip")
	rs, err := aip.WriteAll(ctx, os.DirFS(bagDir), local, aip.Options{Kind: aip.AIP, Fonds: "H49", ArchiveCode: "H49.LTLS"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || len(stored) != 2 {
		t.Fatalf("archive holds %q, process wrote %+v; want one AIP_hoso per hồ sơ (2)", stored, rs)
	}
	for _, r := range rs {
		if r.Package == nil {
			t.Fatalf("%s: %v", r.HoSo, r.Err)
		}
		key := prefix + r.Package.Name
		got, err := getAll(ctx, arch, key)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		want, err := os.ReadFile(filepath.Join(local, r.Package.Name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the queue's zip (%d bytes) differs from process's (%d bytes)", key, len(got), len(want))
		}
		zipFile := filepath.Join(t.TempDir(), path.Base(key))
		os.WriteFile(zipFile, got, 0o644)
		rep, err := aip.CheckPath(ctx, zipFile, aip.CheckOptions{Roots: roots, Trust: trust, OrgID: "H49.64.33"})
		if err != nil || !rep.OK() || rep.Documents != 2 {
			t.Errorf("check %s: %v %+v", key, err, rep)
		}
		if err := arch.Delete(ctx, key); !errors.Is(err, storage.ErrLocked) {
			t.Errorf("delete of %s: %v, want storage.ErrLocked", key, err)
		}
	}

	// Delivered again: the same zips, nothing added or changed.
	before := snapshot(t, arch)
	if err := q.rdb.HSet(ctx, keyBatch(b.ID), "state", StateQueued).Err(); err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(batchPayload{b.ID})
	if err := q.handlePackage(ctx, asynq.NewTask(TypePackage, js)); err != nil {
		t.Fatal(err)
	}
	for _, d := range diffSnapshots(before, snapshot(t, arch)) {
		if strings.HasPrefix(d, "added "+audit.ArchivePrefix) {
			continue // the state change this run records (set back to queued above, it moves again)
		}
		t.Errorf("archive changed by the redelivered package task: %s", d)
	}
}

// TestAIPReproducible: "sohoa process" (pipeline.Process, then aip.WriteAll
// on its bag, as cmd/sohoa's process does) and the queue, run independently
// on the same batch with the same injected clock and an RSA key (PKCS #1 v1.5
// signatures are deterministic; no TSA), write byte-identical AIP_hoso zips:
// one per hồ sơ of the batch under the same names, none besides.
func TestAIPReproducible(t *testing.T) {
	at := time.Date(2026, 6, 12, 11, 45, 37, 690e6, time.FixedZone("+07:00", 7*3600))
	clock := func() time.Time { return at }
	key, roots := signertest.RSA(t, "Sở Nội vụ tỉnh Bắc Minh", at)
	base := pipeline.Options{Languages: "vie", Producer: "sohoa test",
		Signer: &pades.Signer{Key: key, Opts: pades.Options{Roots: roots, Now: clock}}}
	codes := aip.Options{Fonds: "H49", ArchiveCode: "H49.LTLS"}
	ctx := context.Background()
	b := loadSample(t)

	// sohoa process.
	po := base
	po.Workers, po.Now = 2, clock
	rep, err := pipeline.Process(ctx, b, t.TempDir(), po)
	if err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(t.TempDir(), "aip")
	ao := codes
	ao.Kind = aip.AIP
	rs, err := aip.WriteAll(ctx, os.DirFS(rep.Bag), local, ao)
	if err != nil {
		t.Fatal(err)
	}
	processed := map[string][]byte{}
	for _, r := range rs {
		if r.Package == nil {
			t.Fatalf("process: %s: %v", r.HoSo, r.Err)
		}
		if processed[r.Package.Name], err = os.ReadFile(filepath.Join(local, r.Package.Name)); err != nil {
			t.Fatal(err)
		}
	}

	// The queue, from the submission on.
	q, _, _ := newTestQueue(t)
	arch := q.stores.Archive
	q.opts.Now, q.opts.Pipeline, q.opts.AIP, q.opts.Signer = clock, base, codes, key
	runComplete(t, q, b)
	prefix := aip.ArchivePrefix + b.ID + "/"
	queued := map[string][]byte{}
	var keys []string
	if err := arch.List(ctx, prefix, func(o storage.ObjectInfo) error { keys = append(keys, o.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if queued[path.Base(k)], err = getAll(ctx, arch, k); err != nil {
			t.Fatal(err)
		}
	}

	if len(b.Files) != 2 || len(processed) != len(b.Files) || len(queued) != len(b.Files) {
		t.Fatalf("%d hồ sơ; process wrote %d AIP_hoso, the queue %d (%q)", len(b.Files), len(processed), len(queued), keys)
	}
	trust := seal.NewTrust("H49.64.33", key.Certificate())
	for name, want := range processed {
		got, ok := queued[name]
		if !ok {
			t.Errorf("%s: written by process, not by the queue (%q)", name, keys)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the queue's zip (%d bytes, SHA-256 %x) differs from process's (%d bytes, SHA-256 %x)",
				name, len(got), sha256.Sum256(got), len(want), sha256.Sum256(want))
		}
		rep, err := aip.Check(ctx, zipReader(t, got), aip.CheckOptions{Roots: roots, Trust: trust, OrgID: "H49.64.33"})
		if err != nil || !rep.OK() || rep.Documents != 2 {
			t.Errorf("check %s: %v %+v", name, err, rep)
		}
	}
}

func zipReader(t *testing.T, data []byte) *zip.Reader {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

// runComplete submits b to q, runs it with a worker of two engines (stopped
// when the test ends) and waits until the batch is complete.
func runComplete(t *testing.T, q *Queue, b *pipeline.Batch) {
	t.Helper()
	if _, err := q.Submit(context.Background(), b, pipeline.LoadOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	_, stop := startWorker(t, q, 2)
	t.Cleanup(stop)
	if st := waitFinished(t, q, b.ID, batchLimit); st.State != StateComplete {
		t.Fatalf("status = %+v", st)
	}
}

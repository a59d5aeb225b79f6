package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/aip"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
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
	if _, err := q.Submit(ctx, b, pipeline.LoadOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	_, stop := startWorker(t, q, 2)
	defer stop()
	if st := waitFinished(t, q, b.ID, batchLimit); st.State != StateComplete {
		t.Fatalf("status = %+v", st)
	}
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

package queue

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/pades"
	"github.com/sohoa-vn/sohoa/pipeline/pades/tsatest"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
)

// TestSealedPackage: with a signer and a time-stamp server, the package task
// seals the package, timestamped, before archiving it; the archived package
// verifies, the organisation's
// chain is in the archive, and a package task delivered again after sealing
// restores the same seal instead of making another.
func TestSealedPackage(t *testing.T) {
	q, _, _ := newTestQueue(t)
	q.opts.CleanWork = false // the package task runs again below, from the work store
	ctx := context.Background()
	roots, trust := withDevSigner(t, q)
	tsa := tsatest.Start(t) // every seal is timestamped, as with seal.tsaURL
	q.opts.Stamper = &pades.TSA{URL: tsa.URL}
	roots = roots.Clone()
	roots.AddCert(tsa.CA)

	b := loadSample(t)
	if _, err := q.Submit(ctx, b, pipeline.LoadOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	_, stop := startWorker(t, q, 2)
	defer stop()
	if st := waitFinished(t, q, b.ID, batchLimit); st.State != StateComplete {
		t.Fatalf("status = %+v", st)
	}
	pkgDir, _ := testenv.FetchPackage(t, q.stores.Archive, b.ID)
	r, err := seal.Verify(ctx, pkgDir, seal.VerifyOptions{Roots: roots, Trust: trust})
	if err != nil {
		t.Fatal(err)
	}
	pdfs, err := pades.VerifyDir(pkgDir, pades.VerifyOptions{Roots: roots, Trust: trust, OrgID: "H49.64.33"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pdfs) != b.Documents() {
		t.Errorf("%d signed PDFs checked, want %d", len(pdfs), b.Documents())
	}
	for _, p := range pdfs {
		if !p.OK() {
			t.Errorf("%s: %v", p.File, p.Problems)
		}
	}
	if !r.OK() || r.Fingerprint == "" || r.Files != 16 {
		t.Fatalf("archived package: %d files, seal %q, problems %v", r.Files, r.Fingerprint, r.Problems)
	}
	if r.Stamped.IsZero() {
		t.Errorf("archived package: the seal has no timestamp from the Stamper")
	}
	head, err := seal.StoreChain{Store: q.stores.Archive}.Head(ctx, "H49.64.33")
	if err != nil || head == nil || head.SHA256 != r.Fingerprint || head.Batch != b.ID {
		t.Fatalf("chain head %+v %v, want the archived seal %s", head, err, r.Fingerprint)
	}

	// The package task runs again as if its worker died after sealing and
	// archiving but before recording the state.
	archive := snapshot(t, q.stores.Archive)
	if err := q.rdb.HSet(ctx, keyBatch(b.ID), "state", StateQueued).Err(); err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(batchPayload{b.ID})
	if err := q.handlePackage(ctx, asynq.NewTask(TypePackage, js)); err != nil {
		t.Fatal(err)
	}
	for _, d := range diffSnapshots(archive, snapshot(t, q.stores.Archive)) {
		if strings.HasPrefix(d, "added "+audit.ArchivePrefix) {
			continue // the state change this run records (the first run's worker "died" before it)
		}
		t.Errorf("archive changed by the redelivered package task (a second seal?): %s", d)
	}
}

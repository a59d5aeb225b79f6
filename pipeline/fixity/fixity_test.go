package fixity_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/fixity"
	"github.com/sohoa-vn/sohoa/pipeline/handover/handovertest"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/local"
)

// fill puts two packages into s and returns the number of objects.
func fill(t *testing.T, s storage.Store) int {
	t.Helper()
	n := 0
	for id, files := range map[string]int{"lo-a": 6, "lo-b": 4} {
		dir := filepath.Join(t.TempDir(), id)
		n += len(handovertest.MakeBag(t, dir, id, files))
		handovertest.Upload(t, s, dir, id)
	}
	return n
}

const (
	alteredKey = "lo-a/data/H49.64.33.2025.02.VTLT/H49.64.33.2025.02.VTLT.2.pdf"
	missingKey = "lo-b/data/H49.64.33.2019.01.VTLT/H49.64.33.2019.01.VTLT.3.pdf"
	orphanKey  = "lo-a/data/H49.64.33.2019.01.VTLT/ghi-chú.txt"
	strayKey   = "stray.txt"
)

// testCheck runs the fixity check on a clean store, then after alter changed one object's content.
func testCheck(t *testing.T, s storage.Store, alter func(key string, data []byte)) {
	ctx := context.Background()
	objects := fill(t, s)
	res, err := fixity.Check(ctx, s, fixity.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || res.Packages != 2 || res.Objects != objects || res.Bytes == 0 {
		t.Fatalf("clean store: %+v; want 2 packages, %d objects, no problem", res, objects)
	}
	if !strings.Contains(res.Summary(), ": ok (2 packages") {
		t.Errorf("summary %q", res.Summary())
	}

	alter(alteredKey, []byte("nội dung đã bị thay đổi"))
	if err := s.Delete(ctx, missingKey); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{orphanKey, strayKey} {
		if _, err := s.Put(ctx, k, strings.NewReader("không thuộc gói tin"), -1, storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	res, err = fixity.Check(ctx, s, fixity.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range res.Problems {
		got[p.Key] = p.Kind
	}
	want := map[string]string{alteredKey: fixity.Altered, missingKey: fixity.Missing, orphanKey: fixity.Orphan, strayKey: fixity.Orphan}
	if len(got) != len(want) || res.Altered != 1 || res.Missing != 1 || res.Orphans != 2 || res.Unreadable != 0 {
		t.Fatalf("problems %v (%+v), want %v", res.Problems, res, want)
	}
	for k, kind := range want {
		if got[k] != kind {
			t.Errorf("%s: %q, want %q", k, got[k], kind)
		}
	}
	if !strings.Contains(res.Summary(), "PROBLEMS: 1 altered, 1 missing, 2 orphans") {
		t.Errorf("summary %q", res.Summary())
	}
}

func TestCheckLocal(t *testing.T) {
	root := t.TempDir()
	s, err := local.New(root)
	if err != nil {
		t.Fatal(err)
	}
	testCheck(t, s, func(key string, data []byte) {
		// Bit rot on the disk, behind the store's back.
		p := filepath.Join(root, filepath.FromSlash(key))
		os.Chmod(p, 0o644)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCheckS3(t *testing.T) {
	s := handovertest.MinIOStore(t, "fixity")
	testCheck(t, s, func(key string, data []byte) {
		ctx := context.Background()
		if err := s.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Put(ctx, key, strings.NewReader(string(data)), -1, storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestTask runs the periodic task's handler and reads its saved result back.
func TestTask(t *testing.T) {
	ctx := context.Background()
	rdb := testenv.Redis(t)
	if res, err := fixity.Last(ctx, rdb); res != nil || err != nil {
		t.Fatalf("Last before any check = %v, %v", res, err)
	}
	s, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	objects := fill(t, s)
	if _, err := s.Put(ctx, strayKey, strings.NewReader("x"), 1, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := fixity.Handler(s, rdb, nil).ProcessTask(ctx, asynq.NewTask(fixity.TypeCheck, nil)); err != nil {
		t.Fatal(err)
	}
	res, err := fixity.Last(ctx, rdb)
	if err != nil || res == nil {
		t.Fatalf("Last = %v, %v", res, err)
	}
	if res.Objects != objects || res.Orphans != 1 || len(res.Problems) != 1 || res.Problems[0].Key != strayKey {
		t.Errorf("saved result %+v", res)
	}

	sched := asynq.NewSchedulerFromRedisClient(rdb, nil)
	if _, err := fixity.Register(sched, "@daily"); err != nil {
		t.Errorf("Register(@daily): %v", err)
	}
	if _, err := fixity.Register(sched, "every day"); err == nil {
		t.Error("Register of a bad spec succeeded")
	}
}

// TestCheckSealChain is issue 10 item 3: an archive holding sealed packages
// and their seal chain (sohoa-seals/…) checks clean, the chain entries being
// checked as links, not as a package; an entry whose fingerprint is not that
// of the package it names, and an entry whose package is gone, are reported.
func TestCheckSealChain(t *testing.T) {
	ctx := context.Background()
	s, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	k, err := seal.WriteDevelopmentKeys(filepath.Join(t.TempDir(), "keys"), "fixity", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := seal.LoadSigner(k.Key, k.Cert)
	if err != nil {
		t.Fatal(err)
	}
	chain := seal.StoreChain{Store: s}
	objects := 0
	for _, id := range []string{"lo-1", "lo-2", "lo-3"} {
		dir := filepath.Join(t.TempDir(), id)
		handovertest.MakeBag(t, dir, id, 3)
		// Seal wants a METS.xml; the bag check does not list tag files, so a
		// placeholder is enough, removed again before upload.
		mets := filepath.Join(dir, filepath.FromSlash(bag.METSFile))
		if err := os.WriteFile(mets, []byte("<mets/>"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := chain.Seal(ctx, dir, signer); err != nil {
			t.Fatal(err)
		}
		if err := seal.MakeWritable(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(mets); err != nil {
			t.Fatal(err)
		}
		objects += len(handovertest.HashTree(t, dir))
		handovertest.Upload(t, s, dir, id)
	}
	res, err := fixity.Check(ctx, s, fixity.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || res.Packages != 3 || res.SealLinks != 3 || res.Objects != objects+3 {
		t.Fatalf("untouched sealed archive: %+v; want 3 packages, 3 seal links, %d objects, no problem", res, objects+3)
	}

	// A forged link: entry 2 rewritten to name lo-2 with another signature.
	var keys []string
	if err := s.List(ctx, seal.StoreChainPrefix, func(o storage.ObjectInfo) error { keys = append(keys, o.Key); return nil }); err != nil || len(keys) != 3 {
		t.Fatalf("chain entries %v, %v", keys, err)
	}
	sort.Strings(keys)
	forged := keys[1]
	rc, err := s.Get(ctx, forged)
	if err != nil {
		t.Fatal(err)
	}
	var entry map[string]any
	err = json.NewDecoder(rc).Decode(&entry)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	other := []byte("another signature")
	sum := sha256.Sum256(other)
	entry["signature"], entry["sha256"] = other, hex.EncodeToString(sum[:])
	js, _ := json.Marshal(entry)
	if err := s.Delete(ctx, forged); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, forged, bytes.NewReader(js), int64(len(js)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	// And the package that entry 3 names is deleted from the archive.
	var gone []string
	if err := s.List(ctx, "lo-3/", func(o storage.ObjectInfo) error { gone = append(gone, o.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, key := range gone {
		if err := s.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	res, err = fixity.Check(ctx, s, fixity.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Altered != 1 || res.Missing != 1 || res.Orphans != 0 || res.Unreadable != 0 || len(res.Problems) != 2 {
		t.Fatalf("forged link and deleted package: %+v", res)
	}
	for _, p := range res.Problems {
		switch p.Kind {
		case fixity.Altered:
			if p.Key != forged || !strings.Contains(p.Detail, "lo-2") {
				t.Errorf("altered: %v, want %s naming lo-2", p, forged)
			}
		case fixity.Missing:
			if p.Key != "lo-3/"+bag.SignatureFile {
				t.Errorf("missing: %v, want lo-3's seal", p)
			}
		}
	}
}

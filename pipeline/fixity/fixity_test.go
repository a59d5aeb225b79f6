package fixity_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/pipeline/fixity"
	"github.com/sohoa-vn/sohoa/pipeline/handover/handovertest"
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
	addr := os.Getenv("SOHOA_TEST_REDIS_ADDR")
	if addr == "" {
		t.Fatal("SOHOA_TEST_REDIS_ADDR is not set: run the tests with scripts/with-services.sh (make test)")
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, DB: 51})
	defer rdb.Close()
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
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

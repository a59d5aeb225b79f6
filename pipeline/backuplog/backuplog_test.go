package backuplog_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/testenv"

	"github.com/sohoa-vn/sohoa/pipeline/backuplog"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/local"
)

// downStore is a store that cannot be reached.
type downStore struct{ storage.Store }

func (downStore) Put(context.Context, string, io.Reader, int64, storage.PutOptions) (storage.ObjectInfo, error) {
	return storage.ObjectInfo{}, storage.Transient(errors.New("connection refused"))
}

// TestLog: entries are appended with their stream id, read back by period
// and by id, and mirrored into each store; a mirror that is down does not
// lose the entry, and says so.
func TestLog(t *testing.T) {
	ctx := context.Background()
	rdb := testenv.Redis(t)
	defer rdb.Close()
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	mirror, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := &backuplog.Log{RDB: rdb, Mirrors: map[string]storage.Store{"chinh": mirror}}
	t0 := time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC)
	var ids []string
	for i, kind := range []string{backuplog.KindCopy, backuplog.KindCheck, backuplog.KindIncident} {
		e, err := log.Append(ctx, backuplog.Entry{Time: t0.Add(time.Duration(i) * time.Hour), Kind: kind, Store: "ban-sao-1", OK: true})
		if err != nil || e.ID == "" {
			t.Fatalf("Append: %+v, %v", e, err)
		}
		ids = append(ids, e.ID)
		r, err := mirror.Get(ctx, backuplog.MirrorPrefix+e.ID+".json")
		if err != nil {
			t.Fatalf("mirror of %s: %v", e.ID, err)
		}
		var back backuplog.Entry
		json.NewDecoder(r).Decode(&back)
		r.Close()
		if back.ID != e.ID || back.Kind != kind {
			t.Errorf("mirrored entry %+v, want %s %s", back, e.ID, kind)
		}
	}
	all, err := log.Range(ctx, time.Now().Add(-time.Minute), time.Now().Add(time.Minute))
	if err != nil || len(all) != 3 || all[0].ID != ids[0] || all[2].Kind != backuplog.KindIncident || !all[1].Time.Equal(t0.Add(time.Hour)) {
		t.Fatalf("Range = %+v, %v", all, err)
	}
	if none, err := log.Range(ctx, time.Now().Add(time.Hour), time.Now().Add(2*time.Hour)); err != nil || len(none) != 0 {
		t.Errorf("Range of a later period = %+v, %v", none, err)
	}
	if e, err := log.Get(ctx, ids[1]); err != nil || e.Kind != backuplog.KindCheck {
		t.Errorf("Get(%s) = %+v, %v", ids[1], e, err)
	}
	if _, err := log.Get(ctx, "1-0"); !errors.Is(err, backuplog.ErrNoEntry) {
		t.Errorf("Get of an unknown id: %v, want ErrNoEntry", err)
	}

	log.Mirrors["ban-sao-1"] = downStore{}
	e, err := log.Append(ctx, backuplog.Entry{Kind: backuplog.KindCheck})
	if err == nil || e.ID == "" {
		t.Fatalf("Append with a mirror down: %+v, %v; want the entry kept and the mirror's error", e, err)
	}
	if _, err := log.Get(ctx, e.ID); err != nil {
		t.Errorf("entry lost with its mirror: %v", err)
	}
}

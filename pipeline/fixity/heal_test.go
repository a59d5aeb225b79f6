package fixity_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/testenv"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/pipeline/backuplog"
	"github.com/sohoa-vn/sohoa/pipeline/copies"
	"github.com/sohoa-vn/sohoa/pipeline/fixity"
	"github.com/sohoa-vn/sohoa/pipeline/handover/handovertest"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/s3"
	"github.com/sohoa-vn/sohoa/storage/s3/s3test"
)

// twoCopies returns the primary (a bucket without lock on the shared MinIO, so
// that the test can damage it) and a locked copy on a second MinIO server,
// holding the same two packages, and the number of objects in each.
func twoCopies(t *testing.T) ([]copies.Copy, int) {
	t.Helper()
	ctx := context.Background()
	primary := handovertest.MinIOStore(t, "heal")
	objects := fill(t, primary)
	m := s3test.Start(t)
	cs, err := s3.New(ctx, s3.Config{Endpoint: m.Addr, Bucket: "ban-sao", AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey, ObjectLock: true})
	if err != nil {
		t.Fatal(err)
	}
	stores := []copies.Copy{{Name: "chinh", Store: primary}, {Name: "ban-sao-1", Store: cs, Retention: func(now time.Time) *storage.Retention {
		return &storage.Retention{Mode: storage.Governance, Until: now.Add(time.Hour)}
	}}}
	for _, id := range []string{"lo-a/", "lo-b/"} {
		if _, err := copies.Replicate(ctx, primary, stores[1], id, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return stores, objects
}

func content(t *testing.T, s storage.Store, key string) string {
	t.Helper()
	r, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// damage replaces the object key of s with other bytes.
func damage(t *testing.T, s storage.CopyStore, key string) {
	t.Helper()
	bad := []byte("nội dung đã bị thay đổi")
	h := sha256.Sum256(bad)
	if _, err := s.Replace(context.Background(), key, bytes.NewReader(bad), int64(len(bad)), storage.PutOptions{SHA256: hex.EncodeToString(h[:])}); err != nil {
		t.Fatal(err)
	}
}

// TestHeal damages one object of the primary and deletes another: Heal finds
// both, restores them from the copy, and the incident goes into the backup
// log (Redis and each store's mirror); a second run is clean. Then the same
// object is damaged in both stores: it is reported lost, nothing is touched.
func TestHeal(t *testing.T) {
	ctx := context.Background()
	stores, objects := twoCopies(t)
	primary, cp := stores[0].Store, stores[1].Store
	want := map[string]string{alteredKey: content(t, cp, alteredKey), missingKey: content(t, cp, missingKey)}
	damage(t, primary, alteredKey)
	if err := primary.Delete(ctx, missingKey); err != nil {
		t.Fatal(err)
	}

	h, err := fixity.Heal(ctx, stores, fixity.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if pc := h.Checks["chinh"]; pc == nil || pc.Altered != 1 || pc.Missing != 1 || len(pc.Problems) != 2 {
		t.Fatalf("primary check: %+v", pc)
	}
	if cc := h.Checks["ban-sao-1"]; cc == nil || !cc.OK() || cc.Objects != objects {
		t.Fatalf("copy check: %+v, want %d objects and no problem", cc, objects)
	}
	got := map[string]string{}
	for _, r := range h.Repaired {
		if r.Store != "chinh" || r.From != "ban-sao-1" {
			t.Errorf("repair %+v: want chinh restored from ban-sao-1", r)
		}
		got[r.Key] = r.Problem
	}
	if len(h.Repaired) != 2 || got[alteredKey] != fixity.Altered || got[missingKey] != fixity.Missing || !h.OK() {
		t.Fatalf("repairs %+v, lost %+v; want %s altered and %s missing restored", h.Repaired, h.Lost, alteredKey, missingKey)
	}
	for key, sum := range want {
		if c := content(t, primary, key); c != sum {
			t.Errorf("%s in the primary after the repair: SHA-256 %s, want %s", key, c, sum)
		}
	}

	rdb := testenv.Redis(t)
	defer rdb.Close()
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	log := &backuplog.Log{RDB: rdb, Mirrors: map[string]storage.Store{"chinh": primary, "ban-sao-1": cp}}
	inc, ok := h.Incident()
	if !ok || len(inc.Items) != 2 || !inc.OK {
		t.Fatalf("incident %+v", inc)
	}
	if inc, err = log.Append(ctx, inc); err != nil {
		t.Fatal(err)
	}
	back, err := log.Get(ctx, inc.ID)
	if err != nil || back.Kind != backuplog.KindIncident || len(back.Items) != 2 || !strings.Contains(back.Items[0].Action, "ban-sao-1") {
		t.Fatalf("incident read back: %+v, %v", back, err)
	}
	for name, s := range log.Mirrors {
		if _, err := s.Stat(ctx, backuplog.MirrorPrefix+inc.ID+".json"); err != nil {
			t.Errorf("incident not mirrored in %s: %v", name, err)
		}
	}

	h, err = fixity.Heal(ctx, stores, fixity.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !h.OK() || len(h.Repaired) != 0 || !h.Checks["chinh"].OK() || !h.Checks["ban-sao-1"].OK() {
		t.Fatalf("second run: %s; repaired %+v, lost %+v", h.Summary(), h.Repaired, h.Lost)
	}
	if _, ok := h.Incident(); ok {
		t.Error("a clean run made an incident")
	}

	damage(t, primary, alteredKey)
	damage(t, cp, alteredKey)
	h, err = fixity.Heal(ctx, stores, fixity.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if h.OK() || len(h.Repaired) != 0 || len(h.Lost) != 2 || h.Lost[0].Key != alteredKey || h.Lost[1].Key != alteredKey ||
		!strings.Contains(h.Summary(), "UNRECOVERABLE") {
		t.Fatalf("same object damaged in both: %s; repaired %+v, lost %+v", h.Summary(), h.Repaired, h.Lost)
	}
}

// TestShare: over one period of daily runs every package is checked exactly once.
func TestShare(t *testing.T) {
	const days = 30
	seen := map[string]int{}
	ids := make([]string, 500)
	for i := range ids {
		ids[i] = "lo-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + time.Duration(i).String()
	}
	start := time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC)
	perDay := map[int]int{}
	for d := range days {
		include := fixity.Share(days*24*time.Hour, start.AddDate(0, 0, d))
		for _, id := range ids {
			if include(id) {
				seen[id]++
				perDay[d]++
			}
		}
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("%s checked %d times in a period, want once", id, seen[id])
		}
	}
	if len(perDay) < days/2 {
		t.Errorf("the packages fall on %d days of %d: not spread", len(perDay), days)
	}
}

// TestHealHandler: the scheduled task heals a damaged store, writes each
// store's check and the incident to the backup log, and saves the primary's
// result for status.
func TestHealHandler(t *testing.T) {
	ctx := context.Background()
	stores, objects := twoCopies(t)
	if err := stores[0].Store.Delete(ctx, missingKey); err != nil {
		t.Fatal(err)
	}
	rdb := testenv.Redis(t)
	defer rdb.Close()
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	log := &backuplog.Log{RDB: rdb, Mirrors: map[string]storage.Store{"chinh": stores[0].Store, "ban-sao-1": stores[1].Store}}
	h := fixity.HealHandler(stores, rdb, log, 24*time.Hour, nil) // a one-day period: everything today
	if err := h(ctx, asynq.NewTask(fixity.TypeCheck, nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := stores[0].Store.Stat(ctx, missingKey); err != nil {
		t.Errorf("%s not restored: %v", missingKey, err)
	}
	entries, err := log.Range(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range entries {
		kinds[e.Kind]++
		if e.Kind == backuplog.KindCheck && e.Store == "ban-sao-1" && (e.Objects != objects || e.Bytes == 0 || !e.OK) {
			t.Errorf("copy's check entry %+v, want %d objects, ok", e, objects)
		}
	}
	if len(entries) != 3 || kinds[backuplog.KindCheck] != 2 || kinds[backuplog.KindIncident] != 1 {
		t.Fatalf("backup log %+v; want 2 checks and 1 incident", entries)
	}
	last, err := fixity.Last(ctx, rdb)
	if err != nil || last == nil || last.Missing != 1 || last.Packages != 2 {
		t.Fatalf("saved result %+v, %v; want the primary's, 1 missing", last, err)
	}
}

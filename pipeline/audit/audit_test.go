package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/testenv"

	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/s3"
)

// TestAppendMirror: entries go to their batch's stream (or the system
// stream), oldest first, with the clock's time, and each is mirrored into the
// archive bucket as the same JSON; an entry without who or action is refused.
// Redis database 87 (see scripts/with-services.sh), a real MinIO bucket.
func TestAppendMirror(t *testing.T) {
	addr, endpoint := os.Getenv("SOHOA_TEST_REDIS_ADDR"), os.Getenv("SOHOA_TEST_S3_ENDPOINT")
	if addr == "" || endpoint == "" {
		t.Fatal("SOHOA_TEST_REDIS_ADDR, SOHOA_TEST_S3_* not set: run the tests with scripts/with-services.sh (make test)")
	}
	ctx := context.Background()
	rdb := testenv.Redis(t)
	var rnd [4]byte
	rand.Read(rnd[:])
	st, err := s3.New(ctx, s3.Config{Endpoint: endpoint, Bucket: "audit-" + hex.EncodeToString(rnd[:]), AccessKey: os.Getenv("SOHOA_TEST_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("SOHOA_TEST_S3_SECRET_KEY"), ObjectLock: true})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.FixedZone("ICT", 7*3600))
	l := New(rdb, st, func() time.Time { return now })
	in := []Entry{
		{Who: "lan", Role: "staff", Action: Retry, Batch: "b1", What: "documents 0", Before: "incomplete", After: "queued", Addr: "10.0.0.1"},
		{Who: "an", Action: LoginFailed, Detail: "wrong user name or password"},
		{Who: "worker", Action: State, Batch: "b1", Before: "queued", After: "complete"},
	}
	for _, e := range in {
		if _, err := l.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Append(ctx, Entry{Action: Retry, Batch: "b1"}); err == nil {
		t.Error("an entry without who was accepted")
	}
	got, err := l.Batch(ctx, "b1")
	if err != nil || len(got) != 2 || got[0].Action != Retry || got[1].Action != State || got[0].Before != "incomplete" ||
		!got[0].Time.Equal(now) || got[0].Time.Location() != time.UTC || got[0].ID == "" {
		t.Fatalf("batch trail: %+v %v", got, err)
	}
	sys, err := l.System(ctx, 10)
	if err != nil || len(sys) != 1 || sys[0].Who != "an" || sys[0].Action != LoginFailed {
		t.Fatalf("system trail: %+v %v", sys, err)
	}
	// The mirror: one object per entry, holding the entry.
	var keys []string
	st.List(ctx, ArchivePrefix, func(o storage.ObjectInfo) error { keys = append(keys, o.Key); return nil })
	if len(keys) != 3 {
		t.Fatalf("mirrored objects %v, want 3", keys)
	}
	rc, err := st.Get(ctx, ArchivePrefix+"b1/"+got[1].ID+".json")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	var m Entry
	if err := json.Unmarshal(data, &m); err != nil || m != got[1] {
		t.Errorf("mirror of %+v: %s (%v)", got[1], data, err)
	}
	if lines := strings.Split(strings.TrimSpace(string(JSONLines(got))), "\n"); len(lines) != 2 || !strings.Contains(lines[1], `"after":"complete"`) {
		t.Errorf("JSON lines: %q", lines)
	}
}

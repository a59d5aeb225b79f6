// Package backuplog keeps the nhật ký sao lưu (backup log) of TT 05/2025
// Phụ lục VII: every copy, check, repair and restore of the archive, and every
// incident, as an append-only Redis stream ([StreamKey]) mirrored, entry by
// entry, into each archive store under [MirrorPrefix], so that the log
// survives with any one copy. An entry is never changed once written; its
// stream id is its number (an incident's id is the id of its entry).
package backuplog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/storage"
)

// StreamKey is the Redis stream holding the log.
const StreamKey = "sohoa:backup:log"

// MirrorPrefix is where each archive store keeps its mirror of the log, one
// object per entry: <MirrorPrefix><entry id>.json. Fixity does not take these
// objects for packages.
const MirrorPrefix = "sohoa-backup-log/"

// Kinds of entry.
const (
	KindCopy     = "copy"     // a package copied into a copy
	KindCheck    = "check"    // a fixity check of a store
	KindRepair   = "repair"   // an object restored from an intact copy
	KindIncident = "incident" // damage found: what, where, when, how it was restored
	KindRestore  = "restore"  // a store rebuilt from a copy
)

// Item is one object an entry concerns.
type Item struct {
	Key     string `json:"key"`
	Store   string `json:"store"`            // where the problem was
	Problem string `json:"problem"`          // altered, missing, unreadable
	Action  string `json:"action"`           // what was done ("restored from ban-sao-1 (new version)"), or "unrecoverable"
	SHA256  string `json:"sha256,omitempty"` // the intact content's
}

// Entry is one line of the log.
type Entry struct {
	ID      string    `json:"id"` // the stream id, set by Append
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"`
	Store   string    `json:"store,omitempty"`   // the store (copy) concerned
	Package string    `json:"package,omitempty"` // the batch id of a package
	Objects int       `json:"objects,omitempty"`
	Bytes   int64     `json:"bytes,omitempty"`
	OK      bool      `json:"ok"`
	Detail  string    `json:"detail,omitempty"`
	Items   []Item    `json:"items,omitempty"`
}

// Log appends to and reads the backup log.
type Log struct {
	RDB     redis.Cmdable
	Mirrors map[string]storage.Store // by name: every archive store
	Now     func() time.Time         // default time.Now
}

// Append writes e to the stream (its Time set to now unless set) and then to
// every mirror. The entry is kept once it is in the stream: a mirror that
// fails is reported in the error (joined), and the entry is returned with its
// id either way when the stream write succeeded.
func (l *Log) Append(ctx context.Context, e Entry) (Entry, error) {
	if e.Time.IsZero() {
		now := time.Now
		if l.Now != nil {
			now = l.Now
		}
		e.Time = now()
	}
	js, err := json.Marshal(e)
	if err != nil {
		return e, fmt.Errorf("backup log: %w", err)
	}
	id, err := l.RDB.XAdd(ctx, &redis.XAddArgs{Stream: StreamKey, Values: map[string]any{"entry": js}}).Result()
	if err != nil {
		return e, fmt.Errorf("backup log: %w", err)
	}
	e.ID = id
	if js, err = json.Marshal(e); err != nil {
		return e, fmt.Errorf("backup log: %w", err)
	}
	var errs []error
	for name, s := range l.Mirrors {
		if _, err := s.Put(ctx, MirrorPrefix+id+".json", bytes.NewReader(js), int64(len(js)), storage.PutOptions{ContentType: "application/json"}); err != nil {
			errs = append(errs, fmt.Errorf("backup log mirror in %s: %w", name, err))
		}
	}
	return e, errors.Join(errs...)
}

// Range returns the entries written from from to to (inclusive), oldest first.
func (l *Log) Range(ctx context.Context, from, to time.Time) ([]Entry, error) {
	return l.xrange(ctx, strconv.FormatInt(from.UnixMilli(), 10), strconv.FormatInt(to.UnixMilli(), 10))
}

// Get returns the entry with id, or an error wrapping ErrNoEntry.
func (l *Log) Get(ctx context.Context, id string) (*Entry, error) {
	es, err := l.xrange(ctx, id, id)
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, fmt.Errorf("backup log entry %s: %w", id, ErrNoEntry)
	}
	return &es[0], nil
}

// ErrNoEntry means no log entry has the id asked for.
var ErrNoEntry = errors.New("no such entry")

func (l *Log) xrange(ctx context.Context, start, stop string) ([]Entry, error) {
	msgs, err := l.RDB.XRange(ctx, StreamKey, start, stop).Result()
	if err != nil {
		return nil, fmt.Errorf("backup log: %w", err)
	}
	out := make([]Entry, 0, len(msgs))
	for _, m := range msgs {
		s, _ := m.Values["entry"].(string)
		var e Entry
		if err := json.Unmarshal([]byte(s), &e); err != nil {
			return nil, fmt.Errorf("backup log entry %s: %w", m.ID, err)
		}
		e.ID = m.ID
		out = append(out, e)
	}
	return out, nil
}

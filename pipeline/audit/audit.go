// Package audit keeps the audit trail of sohoa (NĐ 113/2025 Art. 22): who did
// what, when, to which batch, with the values before and after. Entries are
// appended to Redis streams, one per batch and one for the system (logins),
// and each is mirrored as a JSON object into the archive bucket under
// ArchivePrefix, so the trail survives the loss of Redis. A batch's trail up
// to its packaging is written into its package (metadata/audit-trail.jsonl,
// covered by the tag manifest).
//
// An entry is never changed or deleted: the streams are not trimmed, and the
// archive bucket keeps object versions.
package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/storage"
)

// Actions recorded.
const (
	Login       = "login"        // a dashboard login
	LoginFailed = "login-failed" // a refused login (wrong password, disabled user, rate limit)
	Logout      = "logout"
	Submit      = "submit"   // a batch uploaded and enqueued
	State       = "state"    // a batch changed state (by a worker)
	Retry       = "retry"    // failed pages, documents or tasks re-run
	Replace     = "replace"  // page files replaced by new scans
	Correct     = "correct"  // a metadata field corrected
	Approve     = "approve"  // a batch approved after review
	Accept      = "accept"   // a document accepted by a reviewer
	Reject      = "reject"   // a document sent back to the station with a reason
	Download    = "download" // a package or a document's PDF downloaded
	Handover    = "handover" // a package pulled for handover
)

// Actor is who does something: a user's or a token's name and role, and the
// client's address.
type Actor struct {
	Name, Role, Addr string
}

// Entry returns e done by a: its Who, Role and Addr set.
func (a Actor) Entry(e Entry) Entry {
	e.Who, e.Role, e.Addr = a.Name, a.Role, a.Addr
	return e
}

// ArchivePrefix is where entries are mirrored in the archive store:
// ArchivePrefix + <batch id or "_system"> + "/" + <stream id> + ".json".
const ArchivePrefix = "sohoa-audit/"

// systemStream holds the entries of no batch.
const systemStream = "_system"

// Entry is one thing someone did.
type Entry struct {
	ID     string    `json:"id,omitempty"` // the stream id, set by Append
	Time   time.Time `json:"time"`         // set by Append from the clock when zero
	Who    string    `json:"who"`          // a user's or a token's name, or "worker"
	Role   string    `json:"role,omitempty"`
	Addr   string    `json:"addr,omitempty"` // the client's address
	Action string    `json:"action"`
	Batch  string    `json:"batch,omitempty"`
	What   string    `json:"what,omitempty"` // what it was done to: documents, files, a field
	Before string    `json:"before,omitempty"`
	After  string    `json:"after,omitempty"`
	Detail string    `json:"detail,omitempty"` // why, or more
}

// Log appends to and reads the audit trail.
type Log struct {
	rdb     redis.UniversalClient
	archive storage.Store // nil: not mirrored (reading only)
	now     func() time.Time
}

// New returns a Log on rdb mirroring into archive (nil for a reader only);
// now is the clock (nil: time.Now).
func New(rdb redis.UniversalClient, archive storage.Store, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{rdb: rdb, archive: archive, now: now}
}

func streamKey(batch string) string {
	if batch == "" {
		batch = systemStream
	}
	return "sohoa:audit:" + batch
}

// Append records e in the stream of its batch (or the system stream) and
// mirrors it into the archive store, and returns it with its id and time. An
// entry in Redis whose mirror failed is reported as an error; it stays in Redis.
func (l *Log) Append(ctx context.Context, e Entry) (Entry, error) {
	if e.Action == "" || e.Who == "" {
		return e, errors.New("audit: an entry needs an action and who")
	}
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	e.Time = e.Time.UTC()
	js, err := json.Marshal(e)
	if err != nil {
		return e, fmt.Errorf("audit: %w", err)
	}
	id, err := l.rdb.XAdd(ctx, &redis.XAddArgs{Stream: streamKey(e.Batch), Values: []any{"e", js}}).Result()
	if err != nil {
		return e, fmt.Errorf("audit: %s %s: %w", e.Action, e.Batch, err)
	}
	e.ID = id
	if l.archive == nil {
		return e, nil
	}
	if js, err = json.Marshal(e); err != nil {
		return e, fmt.Errorf("audit: %w", err)
	}
	dir := e.Batch
	if dir == "" {
		dir = systemStream
	}
	key := ArchivePrefix + dir + "/" + id + ".json"
	if _, err := l.archive.Put(ctx, key, bytes.NewReader(js), int64(len(js)), storage.PutOptions{ContentType: "application/json"}); err != nil {
		return e, fmt.Errorf("audit: mirror %s: %w", key, err)
	}
	return e, nil
}

// Batch returns batch id's entries, oldest first.
func (l *Log) Batch(ctx context.Context, id string) ([]Entry, error) {
	if id == "" {
		return nil, errors.New("audit: no batch id")
	}
	return l.read(ctx, streamKey(id), 0)
}

// System returns the last n entries of no batch (logins), newest first.
func (l *Log) System(ctx context.Context, n int64) ([]Entry, error) {
	return l.read(ctx, streamKey(""), n)
}

// read returns a stream's entries: all, oldest first, or the last n, newest first.
func (l *Log) read(ctx context.Context, key string, n int64) ([]Entry, error) {
	var msgs []redis.XMessage
	var err error
	if n > 0 {
		msgs, err = l.rdb.XRevRangeN(ctx, key, "+", "-", n).Result()
	} else {
		msgs, err = l.rdb.XRange(ctx, key, "-", "+").Result()
	}
	if err != nil {
		return nil, fmt.Errorf("audit: read %s: %w", key, err)
	}
	out := make([]Entry, 0, len(msgs))
	for _, m := range msgs {
		s, _ := m.Values["e"].(string)
		var e Entry
		if err := json.Unmarshal([]byte(s), &e); err != nil {
			return nil, fmt.Errorf("audit: entry %s of %s: %w", m.ID, key, err)
		}
		e.ID = m.ID
		out = append(out, e)
	}
	return out, nil
}

// JSONLines returns entries as JSON lines, the form written into packages.
func JSONLines(entries []Entry) []byte {
	var b strings.Builder
	for _, e := range entries {
		js, _ := json.Marshal(e)
		b.Write(js)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

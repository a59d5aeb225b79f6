package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/pipeline"
)

// Batch states, as reported by Status.
const (
	StateQueued     = "queued"     // submitted, not packaged yet
	StateComplete   = "complete"   // packaged, every document done
	StateIncomplete = "incomplete" // packaged, some documents failed
	StateFailed     = "failed"     // not packaged: the batch or package task ran out of retries
)

// meta is the batch's hash in Redis.
type meta struct {
	submitted time.Time
	lo        pipeline.LoadOptions
	state     string
	version   int // how many times originals were replaced (Replace)
}

func (q *Queue) meta(ctx context.Context, id string) (*meta, error) {
	h, err := q.rdb.HGetAll(ctx, keyBatch(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("batch %s: %w", id, err)
	}
	if h["submitted"] == "" {
		return nil, fmt.Errorf("batch %s: %w", id, ErrUnknownBatch)
	}
	m := &meta{}
	if m.submitted, err = time.Parse(time.RFC3339Nano, h["submitted"]); err != nil {
		return nil, fmt.Errorf("batch %s: submitted: %w", id, err)
	}
	m.lo.DPI, _ = strconv.ParseFloat(h["dpi"], 64)
	m.lo.Isolated, _ = strconv.ParseBool(h["isolated"])
	m.state = h["state"]
	m.version, _ = strconv.Atoi(h["version"])
	return m, nil
}

// ErrUnknownBatch is returned for a batch id that was never submitted.
var ErrUnknownBatch = errors.New("no such batch")

// BatchStatus is the state of a submitted batch.
type BatchStatus struct {
	ID              string    `json:"id"`
	State           string    `json:"state"`
	Submitted       time.Time `json:"submitted"`
	Documents       int       `json:"documents"`
	DocumentsDone   int       `json:"documentsDone"`
	DocumentsFailed int       `json:"documentsFailed"`
	Pages           int       `json:"pages"`
	PagesDone       int       `json:"pagesDone"`
	PagesFailed     int       `json:"pagesFailed"`
	// Failures lists the failed documents, by number in batch order, with the reason.
	Failures map[int]string `json:"failures,omitempty"`
	// Codes holds the mã lưu trữ tài liệu of each failed document, by number
	// as in Failures (what "sohoa retry --doc" takes).
	Codes map[int]string `json:"codes,omitempty"`
	// Error is why the batch failed (StateFailed).
	Error string `json:"error,omitempty"`
	// Retries counts the Retry calls that re-ran something.
	Retries int `json:"retries,omitempty"`
	// Copies, in StateCopying, says why the package is not yet in every copy
	// of the archive ("waiting", or the last copy's error).
	Copies string `json:"copies,omitempty"`
}

// Finished reports whether the batch's tasks have all ended: its package has
// been written (complete or incomplete) or it failed.
func (s *BatchStatus) Finished() bool {
	return s.State == StateComplete || s.State == StateIncomplete || s.State == StateFailed
}

// Status returns the state of batch id.
func (q *Queue) Status(ctx context.Context, id string) (*BatchStatus, error) {
	h, err := q.rdb.HGetAll(ctx, keyBatch(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("status %s: %w", id, err)
	}
	if h["submitted"] == "" {
		return nil, fmt.Errorf("status %s: %w", id, ErrUnknownBatch)
	}
	s := &BatchStatus{ID: id, State: h["state"]}
	s.Submitted, _ = time.Parse(time.RFC3339Nano, h["submitted"])
	s.Documents, _ = strconv.Atoi(h["documents"])
	s.Pages, _ = strconv.Atoi(h["pages"])
	s.Retries, _ = strconv.Atoi(h["retries"])
	s.Error = h["error"]
	s.Copies = h["copies"]
	pipe := q.rdb.Pipeline()
	cards := make([]*redis.IntCmd, s.Documents)
	for d := range cards {
		cards[d] = pipe.SCard(ctx, keyDocPages(id, d))
	}
	fails := pipe.HLen(ctx, keyPageFails(id))
	docs := pipe.HGetAll(ctx, keyDocs(id))
	codes := pipe.HGetAll(ctx, keyDocCodes(id))
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("status %s: %w", id, err)
	}
	for _, c := range cards {
		s.PagesDone += int(c.Val())
	}
	s.PagesFailed = int(fails.Val())
	s.PagesDone -= s.PagesFailed
	for k, v := range docs.Val() {
		switch v {
		case "done":
			s.DocumentsDone++
			continue
		case "empty":
			continue
		}
		s.DocumentsFailed++
		if s.Failures == nil {
			s.Failures, s.Codes = map[int]string{}, map[int]string{}
		}
		n, _ := strconv.Atoi(k)
		s.Failures[n] = strings.TrimPrefix(v, "failed: ")
		if c := codes.Val()[k]; c != "" {
			s.Codes[n] = c
		}
	}
	return s, nil
}

// Batches returns the ids of all submitted batches, oldest first.
func (q *Queue) Batches(ctx context.Context) ([]string, error) {
	ids, err := q.rdb.ZRange(ctx, keyBatches(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("batches: %w", err)
	}
	return ids, nil
}

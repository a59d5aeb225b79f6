package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/state"
)

// Batch states, as reported by Status (see pipeline/state for the
// transitions allowed between them).
const (
	StateQueued     = state.BatchQueued     // submitted, not packaged yet
	StateComplete   = state.BatchComplete   // packaged, every document done
	StateIncomplete = state.BatchIncomplete // packaged, some documents failed
	StateFailed     = state.BatchFailed     // not packaged: the batch or package task ran out of retries
	StateCopying    = state.BatchCopying    // the complete package is in the primary archive, not yet in every copy ("chưa đủ bản sao")
)

// meta is the batch's hash in Redis.
type meta struct {
	submitted time.Time
	lo        pipeline.LoadOptions
	state     state.BatchState
	version   int    // how many times originals were replaced (Replace)
	sub       string // the submission's token: another batch recorded under the id has another
}

func (q *Queue) meta(ctx context.Context, id string) (*meta, error) {
	h, err := q.rdb.HGetAll(ctx, keyBatch(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("batch %s: %w", id, err)
	}
	if h["submitted"] == "" || h["state"] == "" { // the state is written last by Submit
		return nil, fmt.Errorf("batch %s: %w", id, ErrUnknownBatch)
	}
	m := &meta{}
	if m.submitted, err = time.Parse(time.RFC3339Nano, h["submitted"]); err != nil {
		return nil, fmt.Errorf("batch %s: submitted: %w", id, err)
	}
	if m.lo.DPI, err = floatField(h, "dpi"); err != nil {
		return nil, fmt.Errorf("batch %s: %w", id, err)
	}
	if m.lo.Isolated, err = boolField(h, "isolated"); err != nil {
		return nil, fmt.Errorf("batch %s: %w", id, err)
	}
	if m.state, err = state.ParseBatch(h["state"]); err != nil {
		return nil, fmt.Errorf("batch %s: %w", id, err)
	}
	if m.version, err = intField(h, "version"); err != nil {
		return nil, fmt.Errorf("batch %s: %w", id, err)
	}
	m.sub = h["sub"]
	return m, nil
}

// intField returns the integer in field name of hash h, 0 when it is absent.
func intField(h map[string]string, name string) (int, error) {
	if h[name] == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(h[name])
	if err != nil {
		return 0, fmt.Errorf("field %s: %w", name, err)
	}
	return n, nil
}

// floatField returns the number in field name of hash h, 0 when it is absent.
func floatField(h map[string]string, name string) (float64, error) {
	if h[name] == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(h[name], 64)
	if err != nil {
		return 0, fmt.Errorf("field %s: %w", name, err)
	}
	return f, nil
}

// boolField returns the boolean in field name of hash h, false when it is absent.
func boolField(h map[string]string, name string) (bool, error) {
	if h[name] == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(h[name])
	if err != nil {
		return false, fmt.Errorf("field %s: %w", name, err)
	}
	return b, nil
}

// ErrUnknownBatch is returned for a batch id that was never submitted.
var ErrUnknownBatch = errors.New("no such batch")

// BatchStatus is the state of a submitted batch.
type BatchStatus struct {
	ID              string           `json:"id"`
	State           state.BatchState `json:"state"`
	Submitted       time.Time        `json:"submitted"`
	Documents       int              `json:"documents"`
	DocumentsDone   int              `json:"documentsDone"`
	DocumentsFailed int              `json:"documentsFailed"`
	Pages           int              `json:"pages"`
	PagesDone       int              `json:"pagesDone"`
	PagesFailed     int              `json:"pagesFailed"`
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
	return s.State.Finished()
}

// Status returns the state of batch id.
func (q *Queue) Status(ctx context.Context, id string) (*BatchStatus, error) {
	h, err := q.rdb.HGetAll(ctx, keyBatch(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("status %s: %w", id, err)
	}
	if h["submitted"] == "" || h["state"] == "" { // the state is written last by Submit
		return nil, fmt.Errorf("status %s: %w", id, ErrUnknownBatch)
	}
	s := &BatchStatus{ID: id, Error: h["error"]}
	if err := s.parse(h); err != nil {
		return nil, fmt.Errorf("status %s: %w", id, err)
	}
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
	statuses, err := docStatuses(docs.Val())
	if err != nil {
		return nil, fmt.Errorf("status %s: %w", id, err)
	}
	for n, ds := range statuses {
		switch ds.State {
		case state.DocDone:
			s.DocumentsDone++
			continue
		case state.DocEmpty:
			continue
		}
		s.DocumentsFailed++
		if s.Failures == nil {
			s.Failures, s.Codes = map[int]string{}, map[int]string{}
		}
		s.Failures[n] = ds.Reason
		if c := codes.Val()[strconv.Itoa(n)]; c != "" {
			s.Codes[n] = c
		}
	}
	return s, nil
}

// parse reads the batch's hash h into s: its state, when it was submitted
// and its counts.
func (s *BatchStatus) parse(h map[string]string) error {
	var err error
	if s.State, err = state.ParseBatch(h["state"]); err != nil {
		return err
	}
	if s.Submitted, err = time.Parse(time.RFC3339Nano, h["submitted"]); err != nil {
		return fmt.Errorf("submitted: %w", err)
	}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"documents", &s.Documents}, {"pages", &s.Pages}, {"retries", &s.Retries}} {
		if *f.dst, err = intField(h, f.name); err != nil {
			return err
		}
	}
	return nil
}

// docStatuses reads the documents' hash of a batch (document number -> stored
// status) into structured statuses, by document number. A document without a
// status is pending.
func docStatuses(h map[string]string) (map[int]state.DocStatus, error) {
	out := make(map[int]state.DocStatus, len(h))
	for k, v := range h {
		n, err := strconv.Atoi(k)
		if err != nil {
			return nil, fmt.Errorf("document %q: %w", k, err)
		}
		if out[n], err = state.ParseDocStatus(v); err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
	}
	return out, nil
}

// Batches returns the ids of all submitted batches, oldest first.
func (q *Queue) Batches(ctx context.Context) ([]string, error) {
	ids, err := q.rdb.ZRange(ctx, keyBatches(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("batches: %w", err)
	}
	return ids, nil
}

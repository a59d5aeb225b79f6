package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/state"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
)

// transitionRedis returns a client on a Redis database of the test's own
// (testenv.RedisDB), emptied, and a Queue on it (no stores: its audit trail
// is not mirrored).
func transitionRedis(t *testing.T) (*redis.Client, *Queue) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: testenv.Get(t).RedisAddr, DB: testenv.RedisDB(t), PoolSize: 32})
	t.Cleanup(func() { rdb.Close() })
	return rdb, &Queue{rdb: rdb, opts: Options{Logger: slog.Default()}}
}

var batchStates = []state.BatchState{state.BatchUploading, StateQueued, StateComplete, StateIncomplete, StateFailed, StateCopying,
	state.BatchReview, state.BatchApproved, state.BatchRejected}

// stateEntries returns the state changes in batch id's audit trail.
func stateEntries(t *testing.T, q *Queue, id string) []audit.Entry {
	t.Helper()
	es, err := q.AuditTrail(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Entry
	for _, e := range es {
		if e.Action == audit.State {
			out = append(out, e)
		}
	}
	return out
}

// Every transition the table allows is written, with its fields; every other
// pair of states is refused in Redis and leaves the batch as it was.
func TestTransitionInRedis(t *testing.T) {
	ctx := context.Background()
	rdb, q := transitionRedis(t)
	allowed, refused := 0, 0
	for _, from := range batchStates {
		for _, to := range batchStates {
			id := fmt.Sprintf("b-%s-%s", from, to)
			if err := rdb.HSet(ctx, keyBatch(id), "state", from, "submitted", "x").Err(); err != nil {
				t.Fatal(err)
			}
			got, err := q.transition(ctx, id, to, audit.Actor{Name: "tester"}, "why", "finished", "now")
			es := stateEntries(t, q, id)
			h, herr := rdb.HGetAll(ctx, keyBatch(id)).Result()
			if herr != nil {
				t.Fatal(herr)
			}
			if got != from {
				t.Errorf("%s -> %s: returned previous state %q", from, to, got)
			}
			if state.CheckBatch(from, to) == nil {
				allowed++
				if err != nil || h["state"] != to.String() || h["finished"] != "now" {
					t.Errorf("%s -> %s (allowed): %v, hash now %v", from, to, err, h)
				}
				if len(es) != 1 || es[0].Before != from.String() || es[0].After != to.String() || es[0].Who != "tester" || es[0].Detail != "why" {
					t.Errorf("%s -> %s (allowed): audit entries %+v, want one state change by tester", from, to, es)
				}
				continue
			}
			refused++
			var te *state.TransitionError
			if !errors.As(err, &te) || te.From != from.String() || te.To != to.String() || !isTransition(err) {
				t.Errorf("%s -> %s (not allowed): error %v, want a TransitionError", from, to, err)
			}
			if h["state"] != from.String() || h["finished"] != "" {
				t.Errorf("%s -> %s (not allowed): hash changed to %v", from, to, h)
			}
			if len(es) != 0 {
				t.Errorf("%s -> %s (not allowed): audited %+v", from, to, es)
			}
		}
	}
	if allowed != 17 || refused != 64 {
		t.Errorf("%d transitions allowed, %d refused; want 17 and 64", allowed, refused)
	}
	if _, err := q.transition(ctx, "never-submitted", StateQueued, worker, ""); !errors.Is(err, ErrUnknownBatch) {
		t.Errorf("transition of an unknown batch: %v, want ErrUnknownBatch", err)
	}
	if n, err := rdb.Exists(ctx, keyBatch("never-submitted")).Result(); err != nil || n != 0 {
		t.Errorf("transition of an unknown batch created its hash (%d, %v)", n, err)
	}
}

// Of many concurrent transitions of one queued batch (to complete, or to
// failed), exactly one happens: the others see the state it left and are refused.
func TestTransitionConcurrent(t *testing.T) {
	ctx := context.Background()
	rdb, q := transitionRedis(t)
	const rounds, racers = 20, 16
	for r := range rounds {
		id := fmt.Sprintf("race-%d", r)
		if err := rdb.HSet(ctx, keyBatch(id), "state", StateQueued, "submitted", "x").Err(); err != nil {
			t.Fatal(err)
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make([]error, racers)
		for i := range racers {
			to := StateComplete
			if i%2 == 1 {
				to = StateFailed
			}
			wg.Go(func() {
				<-start
				_, errs[i] = q.transition(ctx, id, to, worker, "", "winner", i)
			})
		}
		close(start)
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won >= 0:
				t.Fatalf("round %d: racers %d and %d both moved the batch", r, won, i)
			case err == nil:
				won = i
			case !isTransition(err):
				t.Fatalf("round %d: racer %d: %v", r, i, err)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: no racer moved the batch", r)
		}
		h, err := rdb.HGetAll(ctx, keyBatch(id)).Result()
		if err != nil {
			t.Fatal(err)
		}
		want := StateComplete
		if won%2 == 1 {
			want = StateFailed
		}
		if h["state"] != want.String() || h["winner"] != fmt.Sprint(won) {
			t.Fatalf("round %d: racer %d won (%s) but the batch holds %v", r, won, want, h)
		}
		if es := stateEntries(t, q, id); len(es) != 1 || es[0].After != want.String() {
			t.Fatalf("round %d: audit entries %+v, want the one change to %s", r, es, want)
		}
	}
}

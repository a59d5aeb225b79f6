// The one place where a batch's state changes: a transition that the table in
// pipeline/state allows, checked and written in one step in Redis, and
// recorded once in the audit trail.

package queue

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/state"
)

// transitionScript moves the batch hash KEYS[1] to state ARGV[1] if its
// state is one of ARGV[3 .. 2+ARGV[2]] (the table's sources of ARGV[1]),
// setting the field, value pairs after them in the same HSET. It returns
// {state before, 1} when it moved the batch and {state before, 0} when it
// refused; {"", 0} for a batch without a state. Redis runs a script alone,
// so the check and the write are one step.
var transitionScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], 'state')
if not cur then return {'', 0} end
local n = tonumber(ARGV[2])
for i = 3, 2 + n do
  if ARGV[i] == cur then
    redis.call('HSET', KEYS[1], 'state', ARGV[1], unpack(ARGV, 3 + n))
    return {cur, 1}
  end
end
return {cur, 0}
`)

// transitionCmd is a transition sent to Redis, whose outcome is known once
// the command ran (at once, or when its pipeline or transaction is executed).
type transitionCmd struct {
	q      *Queue
	ctx    context.Context // for the audit entry, without its cancellation: the state has changed
	id     string
	to     state.BatchState
	cmd    *redis.Cmd
	by     audit.Actor // who made the change, for the audit trail
	detail string
}

// worker is the actor of the transitions made by tasks.
var worker = audit.Actor{Name: auditWho}

// retryDetail is the detail of the state change made by a Retry that
// re-runs documents (their package may change); retryTaskDetail, of one
// that only re-runs the failed batch or package task (the same content).
const (
	retryDetail     = "retry"
	retryTaskDetail = "retry task"
)

// sendTransition sends on c the transition of batch id to state to, made by
// by for detail, with fields (name, value pairs) written with it. c is the
// client, or the pipeline of a transaction (MULTI) that the transition is part of.
func (q *Queue) sendTransition(ctx context.Context, c redis.Scripter, id string, to state.BatchState, by audit.Actor, detail string, fields ...any) *transitionCmd {
	sources := state.BatchSources(to)
	args := make([]any, 0, 2+len(sources)+len(fields))
	args = append(args, to.String(), len(sources))
	for _, s := range sources {
		args = append(args, s.String())
	}
	args = append(args, fields...)
	// Eval, not EvalSha: in a transaction a missing script is only known at EXEC.
	return &transitionCmd{q: q, ctx: context.WithoutCancel(ctx), id: id, to: to, by: by, detail: detail, cmd: transitionScript.Eval(ctx, c, []string{keyBatch(id)}, args...)}
}

// result returns the state the batch was in, and a *state.TransitionError
// (errors.Is state.ErrTransition) when the table refused the transition. A
// transition that happened is recorded in the audit trail here, once: of two
// deliveries of one task only one moves the batch.
func (t *transitionCmd) result() (state.BatchState, error) {
	from, err := t.check()
	if err == nil {
		t.q.auditState(t.ctx, t.id, from, t.to, t.by, t.detail)
	}
	return from, err
}

// check reads the outcome of the transition.
func (t *transitionCmd) check() (state.BatchState, error) {
	res, err := t.cmd.Slice()
	if err != nil {
		return "", fmt.Errorf("batch %s: to %s: %w", t.id, t.to, err)
	}
	if len(res) != 2 {
		return "", fmt.Errorf("batch %s: to %s: unexpected reply %v", t.id, t.to, res)
	}
	cur, ok1 := res[0].(string)
	moved, ok2 := res[1].(int64)
	if !ok1 || !ok2 {
		return "", fmt.Errorf("batch %s: to %s: unexpected reply %v", t.id, t.to, res)
	}
	if cur == "" {
		return "", fmt.Errorf("batch %s: %w", t.id, ErrUnknownBatch)
	}
	from, err := state.ParseBatch(cur)
	if err != nil {
		return "", fmt.Errorf("batch %s: %w", t.id, err)
	}
	if moved != 1 {
		if err := state.CheckBatch(from, t.to); err != nil {
			return from, fmt.Errorf("batch %s: %w", t.id, err)
		}
		return from, fmt.Errorf("batch %s: %s to %s refused by Redis but allowed here: %w", t.id, from, t.to, state.ErrTransition)
	}
	return from, nil
}

// transition moves batch id to state to, made by by for detail, with fields
// (name, value pairs) written with it, if the transition table allows it from
// the batch's current state, and records it in the audit trail. Of two
// concurrent transitions from one state, only one happens: the other sees the
// state the first left. It returns the state the batch was in; a refused
// transition is a *state.TransitionError.
func (q *Queue) transition(ctx context.Context, id string, to state.BatchState, by audit.Actor, detail string, fields ...any) (state.BatchState, error) {
	return q.sendTransition(ctx, q.rdb, id, to, by, detail, fields...).result()
}

// isTransition reports whether err is a refused transition.
func isTransition(err error) bool { return errors.Is(err, state.ErrTransition) }

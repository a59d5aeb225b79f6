package state

import (
	"errors"
	"fmt"
)

// The transitions allowed between states: this table, and nothing else,
// says which state may follow which. A state that is in no row is unknown.
// A new state (a review step, say) is a line per transition that reaches or
// leaves it.
var transitions = []struct {
	from, to any // BatchState, DocState or ReviewState
	why      string
}{
	// Batches.
	{BatchUploading, BatchQueued, "Submit: every original stored and every page enqueued"},
	{BatchQueued, BatchComplete, "package task: every document done, the package sealed and archived"},
	{BatchQueued, BatchIncomplete, "package task: some documents failed, the package archived unsealed"},
	{BatchQueued, BatchFailed, "the batch or package task ran out of retries"},
	{BatchQueued, BatchCopying, "package task: every document done, the package sealed and archived in the primary; copies configured"},
	{BatchCopying, BatchComplete, "replicate task: the package is stored, locked and verified in every copy"},
	{BatchFailed, BatchQueued, "Retry re-runs the failed batch or package task"},
	{BatchIncomplete, BatchQueued, "Retry re-runs the failed documents; Replace re-runs replaced pages"},
	// Review (review.required): nothing is packaged, sealed or locked before Approve.
	{BatchQueued, BatchReview, "every document processed (review.required): waiting for a reviewer"},
	{BatchReview, BatchApproved, "Approve: every sampled document accepted; the package task is enqueued"},
	{BatchApproved, BatchComplete, "package task after approval: every document done, the package sealed and archived"},
	{BatchApproved, BatchIncomplete, "package task after approval: some documents failed, the package archived unsealed"},
	{BatchApproved, BatchCopying, "package task after approval: sealed and archived in the primary; copies configured"},
	{BatchApproved, BatchFailed, "the package task after approval ran out of retries"},
	{BatchReview, BatchRejected, "RejectDocument: a document sent back to the station with a reason"},
	{BatchReview, BatchQueued, "Replace in review: the replaced pages are processed again"},
	{BatchRejected, BatchQueued, "Replace of a rejected document's pages: they are processed again"},

	// Documents.
	{DocPending, DocDone, "document task: every page done, its PDF made"},
	{DocPending, DocEmpty, "document task: no pages"},
	{DocPending, DocFailed, "a page failed, or the PDF, or the document task ran out of retries"},
	{DocFailed, DocPending, "Retry re-runs it"},
	{DocDone, DocPending, "Replace re-runs it with a replaced page"},

	// A document's review.
	{ReviewUnreviewed, ReviewAccepted, "Accept: a reviewer found its pages and metadata right"},
	{ReviewUnreviewed, ReviewRejected, "RejectDocument: sent back to the station with a reason"},
	{ReviewAccepted, ReviewRejected, "RejectDocument: a reviewer changed their mind before approval"},
	{ReviewAccepted, ReviewUnreviewed, "Replace: a page of it replaced, to be reviewed again"},
	{ReviewRejected, ReviewUnreviewed, "Replace: a page of it replaced, to be reviewed again"},
}

// table is the transitions of one kind of state, by state: the states each may go to.
type table[S ~string] map[S][]S

func tableOf[S ~string]() table[S] {
	t := table[S]{}
	for _, tr := range transitions {
		from, ok1 := tr.from.(S)
		to, ok2 := tr.to.(S)
		if ok1 && ok2 {
			t[from] = append(t[from], to)
			if _, ok := t[to]; !ok {
				t[to] = nil
			}
		}
	}
	return t
}

var (
	batches = tableOf[BatchState]()
	docs    = tableOf[DocState]()
	reviews = tableOf[ReviewState]()
)

func (t table[S]) known(s S) bool { _, ok := t[s]; return ok }

func (t table[S]) allows(from, to S) bool {
	for _, s := range t[from] {
		if s == to {
			return true
		}
	}
	return false
}

// ErrTransition is the error of a transition the table does not allow.
var ErrTransition = errors.New("state transition not allowed")

// TransitionError is a refused transition, from one state to another.
type TransitionError struct {
	From, To string
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("%s to %s: %v", e.From, e.To, ErrTransition)
}

// Unwrap makes errors.Is(err, ErrTransition) hold.
func (e *TransitionError) Unwrap() error { return ErrTransition }

// CheckBatch returns nil if a batch may go from state from to state to, and
// a *TransitionError otherwise.
func CheckBatch(from, to BatchState) error {
	if !batches.allows(from, to) {
		return &TransitionError{From: from.String(), To: to.String()}
	}
	return nil
}

// BatchSources returns the states from which a batch may go to state to.
func BatchSources(to BatchState) []BatchState {
	var out []BatchState
	for _, tr := range transitions {
		if from, ok := tr.from.(BatchState); ok && tr.to == any(to) {
			out = append(out, from)
		}
	}
	return out
}

// CheckDoc returns nil if a document may go from state from to state to, and
// a *TransitionError otherwise.
func CheckDoc(from, to DocState) error {
	if !docs.allows(from, to) {
		return &TransitionError{From: from.String(), To: to.String()}
	}
	return nil
}

// CheckReview returns nil if a document's review may go from state from to
// state to, and a *TransitionError otherwise.
func CheckReview(from, to ReviewState) error {
	if !reviews.allows(from, to) {
		return &TransitionError{From: from.String(), To: to.String()}
	}
	return nil
}

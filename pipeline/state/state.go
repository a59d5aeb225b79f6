// Package state holds the states of a batch and of a document, the one table
// of the transitions allowed between them, and a document's status (its state
// and, when it failed, why) with the text form in which it is stored.
//
// The embedded run (pipeline.Process) and the queue use this vocabulary; the
// queue writes a batch's state only through a transition the table allows.
package state

import (
	"errors"
	"fmt"
	"strings"
)

// BatchState is the state of a submitted batch.
type BatchState string

// Batch states.
const (
	// BatchUploading: Submit is storing the batch's originals (đang tải lên);
	// its pages start as their originals arrive. The id is not taken yet: a
	// submit of another batch under it removes this one.
	BatchUploading  BatchState = "uploading"
	BatchQueued     BatchState = "queued"     // submitted, not packaged yet
	BatchComplete   BatchState = "complete"   // packaged, every document done
	BatchIncomplete BatchState = "incomplete" // packaged, some documents failed
	BatchFailed     BatchState = "failed"     // not packaged: the batch or package task ran out of retries
	BatchCopying    BatchState = "copying"    // complete package archived, not yet in every copy of the archive
	BatchReview     BatchState = "review"     // every document processed, waiting for a reviewer (chờ duyệt); nothing packaged yet
	BatchApproved   BatchState = "approved"   // approved by a reviewer, being packaged (đã duyệt, đang đóng gói)
	BatchRejected   BatchState = "rejected"   // a document sent back to the station (trả lại), waiting for its pages to be replaced
)

// String returns the state as stored and shown ("queued", ...).
func (s BatchState) String() string { return string(s) }

// MarshalBinary lets the state be written to Redis as its text.
func (s BatchState) MarshalBinary() ([]byte, error) { return []byte(s), nil }

// Finished reports whether a batch in state s has no task left to run: a
// batch in review or rejected waits for a person, not for a worker.
func (s BatchState) Finished() bool {
	return s != BatchUploading && s != BatchQueued && s != BatchCopying && s != BatchApproved && batches.known(s)
}

// Sealed reports whether a batch in state s has its package archived: its
// originals, fields and review can no longer change (complete, copying) or
// change only through Retry (incomplete).
func (s BatchState) Sealed() bool {
	return s == BatchComplete || s == BatchCopying || s == BatchIncomplete
}

// Reviewable reports whether a batch in state s takes a reviewer's actions on
// its documents (accept, correct, reject).
func (s BatchState) Reviewable() bool { return s == BatchReview || s == BatchRejected }

// ParseBatch returns the batch state named s, or an error naming it.
func ParseBatch(s string) (BatchState, error) {
	if !batches.known(BatchState(s)) {
		return "", fmt.Errorf("unknown batch state %q", s)
	}
	return BatchState(s), nil
}

// DocState is the state of one document of a batch.
type DocState string

// Document states.
const (
	DocPending DocState = "pending" // its pages or its PDF are not made yet
	DocDone    DocState = "done"    // every page done, and (outside stacks) its PDF made
	DocEmpty   DocState = "empty"   // it has no pages: neither built nor counted
	DocFailed  DocState = "failed"  // a page or its PDF failed, for Reason
)

// String returns the state as stored and shown ("done", ...).
func (s DocState) String() string { return string(s) }

// MarshalBinary lets the state be written to Redis as its text.
func (s DocState) MarshalBinary() ([]byte, error) { return []byte(s), nil }

// ParseDoc returns the document state named s, or an error naming it.
func ParseDoc(s string) (DocState, error) {
	if !docs.known(DocState(s)) {
		return "", fmt.Errorf("unknown document state %q", s)
	}
	return DocState(s), nil
}

// DocStatus is a document's state and, for DocFailed, the reason.
type DocStatus struct {
	State  DocState
	Reason string
}

// Failed returns the status of a document that failed for reason.
func Failed(reason string) DocStatus { return DocStatus{State: DocFailed, Reason: reason} }

// failedSep separates the state from the reason in the stored form
// ("failed: <reason>"), which is the form the queue has always stored.
const failedSep = ": "

// String returns the status's stored form: the state, then ": " and the
// reason for a failed document ("failed: page 2: ocr: ...").
func (s DocStatus) String() string {
	if s.State == DocFailed {
		return string(s.State) + failedSep + s.Reason
	}
	return string(s.State)
}

// MarshalBinary lets the status be written to Redis in its stored form.
func (s DocStatus) MarshalBinary() ([]byte, error) { return []byte(s.String()), nil }

// ErrBadStatus is returned by ParseDocStatus for text that is not a document status.
var ErrBadStatus = errors.New("not a document status")

// ParseDocStatus reads a status in the form String writes. A failed status
// without the separator is an error, as is any other state with one.
func ParseDocStatus(v string) (DocStatus, error) {
	name, reason, hasReason := strings.Cut(v, failedSep)
	st, err := ParseDoc(name)
	if err != nil {
		return DocStatus{}, fmt.Errorf("%w: %q: %v", ErrBadStatus, v, err)
	}
	if hasReason != (st == DocFailed) {
		return DocStatus{}, fmt.Errorf("%w: %q", ErrBadStatus, v)
	}
	return DocStatus{State: st, Reason: reason}, nil
}

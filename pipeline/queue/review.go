// The review step (review.required): what a reviewer sees of a batch in
// review, kept in Redis beside the batch's state.

package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/state"
)

// ReviewOptions controls the review step of the queue.
type ReviewOptions struct {
	// Required holds a processed batch in state review until Approve; only
	// then is its package assembled, sealed and locked. False: the package is
	// made as soon as every document is processed.
	Required bool
	// Sample is the share (0 to 1) of the unflagged documents a reviewer must
	// accept, besides every flagged one (see Sampled).
	Sample float64
	// Place is where the inspection record is drawn up (e.g. "Hà Nội"); empty
	// leaves the form's blank.
	Place string
}

// Errors of the review actions.
var (
	// ErrNotReviewable means the batch is not in review (or rejected): still
	// processing, already approved, or packaged.
	ErrNotReviewable = errors.New("the batch is not waiting for a review")
	// ErrSampleNotAccepted means Approve was asked before every sampled
	// document was accepted.
	ErrSampleNotAccepted = errors.New("not every sampled document is accepted")
	// ErrInvalidField means a correction's value fails the check made at
	// submission, or the field cannot be corrected.
	ErrInvalidField = errors.New("the corrected value is not valid")
)

// Redis keys of the review.
func keyReview(id string) string      { return "sohoa:batch:" + id + ":review" }      // doc -> state.ReviewState
func keyRejections(id string) string  { return "sohoa:batch:" + id + ":rejections" }  // doc -> reason
func keyCorrections(id string) string { return "sohoa:batch:" + id + ":corrections" } // list of Correction (JSON)

// Correction is one metadata field of a document corrected by a reviewer.
type Correction struct {
	Doc    int       `json:"doc"`
	Code   string    `json:"docCode,omitempty"`
	Field  string    `json:"field"` // the metadata field's JSON name (subject, issuedDate, ...)
	Before string    `json:"before"`
	After  string    `json:"after"`
	Who    string    `json:"who"`
	Time   time.Time `json:"time"`
}

// ReviewDoc is one document of a batch as the review shows it.
type ReviewDoc struct {
	Doc     int               `json:"doc"` // number in batch order, as in Detail and the routes
	Code    string            `json:"docCode"`
	Source  string            `json:"source"`
	Title   string            `json:"subject,omitempty"`
	State   state.DocState    `json:"state"`            // processing state (done, failed, ...)
	Review  state.ReviewState `json:"review"`           // unreviewed, accepted or rejected
	Reason  string            `json:"reason,omitempty"` // why it was rejected
	Sampled bool              `json:"sampled"`          // a reviewer must accept it before Approve
	Flagged bool              `json:"flagged"`          // a page flagged, or a page/catalogue mismatch
	// Flags are the flags of its pages, by 1-based page number.
	Flags       map[int][]string    `json:"flags,omitempty"`
	Mismatches  []pipeline.Mismatch `json:"mismatches,omitempty"`
	Corrections []Correction        `json:"corrections,omitempty"`
}

// ReviewCounts are the figures of the inspection record.
type ReviewCounts struct {
	Files     int `json:"files"`     // hồ sơ
	Documents int `json:"documents"` // văn bản
	Pages     int `json:"pages"`
	Sampled   int `json:"sampled"`
	Accepted  int `json:"accepted"`
	Corrected int `json:"corrected"` // documents with a correction
	Replaced  int `json:"replaced"`  // page files replaced by a new scan
	Rejected  int `json:"rejected"`
}

// ReviewPlan is a batch's review: its documents, which are sampled, where
// each stands, and the counts.
type ReviewPlan struct {
	Batch       string           `json:"batchId"`
	State       state.BatchState `json:"state"`
	Sample      float64          `json:"sample"`
	Documents   []ReviewDoc      `json:"documents"`
	Corrections []Correction     `json:"corrections"`
	Counts      ReviewCounts     `json:"counts"`
	// Approvable is true when the batch is in review and every sampled
	// document is accepted.
	Approvable bool `json:"approvable"`
}

// docNumber parses a document's number in batch order, as the routes give it.
func docNumber(id, docID string, n int) (int, error) {
	d, err := strconv.Atoi(docID)
	if err != nil || d < 0 || d >= n {
		return 0, fmt.Errorf("batch %s: document %q: %w", id, docID, ErrUnknownDocument)
	}
	return d, nil
}

// corrections returns batch id's corrections, oldest first.
func (q *Queue) corrections(ctx context.Context, id string) ([]Correction, error) {
	vs, err := q.rdb.LRange(ctx, keyCorrections(id), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("batch %s: corrections: %w", id, err)
	}
	out := make([]Correction, 0, len(vs))
	for _, v := range vs {
		var c Correction
		if err := json.Unmarshal([]byte(v), &c); err != nil {
			return nil, fmt.Errorf("batch %s: correction %q: %w", id, v, err)
		}
		out = append(out, c)
	}
	return out, nil
}

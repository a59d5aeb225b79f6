package state

import "fmt"

// ReviewState is where a document stands in a batch's review (review.required).
type ReviewState string

// Review states of a document.
const (
	ReviewUnreviewed ReviewState = "unreviewed" // not looked at yet (chưa kiểm tra)
	ReviewAccepted   ReviewState = "accepted"   // a reviewer accepted it (đạt)
	ReviewRejected   ReviewState = "rejected"   // sent back to the station with a reason (trả lại)
)

// String returns the state as stored and shown ("accepted", ...).
func (s ReviewState) String() string { return string(s) }

// MarshalBinary lets the state be written to Redis as its text.
func (s ReviewState) MarshalBinary() ([]byte, error) { return []byte(s), nil }

// ParseReview returns the review state named s, or an error naming it. The
// empty string is ReviewUnreviewed: a document nobody has acted on yet has no
// stored review state.
func ParseReview(s string) (ReviewState, error) {
	if s == "" {
		return ReviewUnreviewed, nil
	}
	if !reviews.known(ReviewState(s)) {
		return "", fmt.Errorf("unknown review state %q", s)
	}
	return ReviewState(s), nil
}

package server

import "context"

// reviewDocState is where a document stands in its batch's review.
type reviewDocState struct {
	Review  string // unreviewed, accepted or rejected
	Sampled bool   // a reviewer must accept it before the batch is approved
	Flagged bool
	Reason  string // why it was rejected
	Open    bool   // the batch is in review: the forms act
}

// reviewDocState returns document doc's review, nil when its batch is not under review.
func (s *Server) reviewDocState(ctx context.Context, id string, doc int) (*reviewDocState, error) {
	return nil, nil
}

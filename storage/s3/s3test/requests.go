package s3test

import (
	"maps"
	"net/http"
	"sync"

	"github.com/minio/minio-go/v7"
)

// Requests is an http.RoundTripper for s3.Config.Transport that counts the
// requests it sends by HTTP method, and the bytes of their bodies sent and
// of the answers' bodies received, over minio-go's default transport. It is
// safe for concurrent use; several stores may share one.
type Requests struct {
	next           http.RoundTripper
	mu             sync.Mutex
	n              map[string]int
	sent, received int64
}

// NewRequests returns a Requests over minio.DefaultTransport (plain HTTP).
func NewRequests() (*Requests, error) {
	next, err := minio.DefaultTransport(false)
	if err != nil {
		return nil, err
	}
	return &Requests{next: next, n: map[string]int{}}, nil
}

// RoundTrip counts req and the length of its body, sends it, and counts
// the length the answer declares for its body (an answer without one counts
// nothing, nor does a HEAD's, which declares the object's length and has no body).
func (r *Requests) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.n[req.Method]++
	r.sent += max(req.ContentLength, 0)
	r.mu.Unlock()
	resp, err := r.next.RoundTrip(req)
	if err == nil && req.Method != http.MethodHead {
		r.mu.Lock()
		r.received += max(resp.ContentLength, 0)
		r.mu.Unlock()
	}
	return resp, err
}

// Take returns the number of requests sent by method since the last Take
// (or since the start) and starts counting again from zero.
func (r *Requests) Take() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := maps.Clone(r.n)
	clear(r.n)
	return n
}

// TakeBytes returns the bytes of request bodies sent and of answer bodies
// received since the last TakeBytes (or since the start) and starts counting
// them again from zero.
func (r *Requests) TakeBytes() (sent, received int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sent, received, r.sent, r.received = r.sent, r.received, 0, 0
	return sent, received
}

package s3test

import (
	"maps"
	"net/http"
	"sync"

	"github.com/minio/minio-go/v7"
)

// Requests is an http.RoundTripper for s3.Config.Transport that counts the
// requests it sends by HTTP method, over minio-go's default transport. It
// is safe for concurrent use; several stores may share one.
type Requests struct {
	next http.RoundTripper
	mu   sync.Mutex
	n    map[string]int
}

// NewRequests returns a Requests over minio.DefaultTransport (plain HTTP).
func NewRequests() (*Requests, error) {
	next, err := minio.DefaultTransport(false)
	if err != nil {
		return nil, err
	}
	return &Requests{next: next, n: map[string]int{}}, nil
}

// RoundTrip counts req and sends it.
func (r *Requests) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.n[req.Method]++
	r.mu.Unlock()
	return r.next.RoundTrip(req)
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

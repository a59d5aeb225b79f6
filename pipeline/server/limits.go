package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Limits bound what one client can hold of the server: how long a request
// body may take and how many uploads run at once. Zero fields take the
// defaults (DefaultLimits).
type Limits struct {
	// BodyGrace is the time any request body may take before MinBodyRate applies.
	BodyGrace time.Duration
	// MinBodyRate is the slowest a body may arrive, in bytes per second,
	// averaged from the start of the request: a body that falls behind
	// BodyGrace + received/MinBodyRate is cut off (408).
	MinBodyRate int64
	// MaxUploads is the number of uploads the server unpacks at once; more get 429.
	MaxUploads int
	// MaxUploadsPerToken is the number of uploads one token may run at once; more get 429.
	MaxUploadsPerToken int
	// MaxLoginBody is the largest body of POST /login, in bytes (a token and a path).
	MaxLoginBody int64
}

// DefaultLimits are the limits of a Server whose Config leaves them zero.
var DefaultLimits = Limits{BodyGrace: 10 * time.Second, MinBodyRate: 16 << 10, MaxUploads: 8, MaxUploadsPerToken: 2, MaxLoginBody: 4 << 10}

// withDefaults returns l with its zero fields set from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.BodyGrace <= 0 {
		l.BodyGrace = d.BodyGrace
	}
	if l.MinBodyRate <= 0 {
		l.MinBodyRate = d.MinBodyRate
	}
	if l.MaxUploads <= 0 {
		l.MaxUploads = d.MaxUploads
	}
	if l.MaxUploadsPerToken <= 0 {
		l.MaxUploadsPerToken = d.MaxUploadsPerToken
	}
	if l.MaxLoginBody <= 0 {
		l.MaxLoginBody = d.MaxLoginBody
	}
	return l
}

// errSlowBody is a request body that arrived slower than Limits.MinBodyRate.
var errSlowBody = errors.New("request body too slow")

// limitBodies gives every request body a read deadline that moves with the
// bytes received: BodyGrace from the start plus one second per MinBodyRate
// bytes. A client that trickles (or stops) is cut off instead of holding a
// connection, a goroutine and an upload folder for ever.
func (s *Server) limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		rb := &rateBody{rc: r.Body, ctl: http.NewResponseController(w), start: time.Now(), lim: s.limits}
		if err := rb.ctl.SetReadDeadline(rb.deadline()); err != nil && !errors.Is(err, http.ErrNotSupported) {
			s.log.Warn("request body deadline", "error", err)
		}
		r.Body = rb
		next.ServeHTTP(w, r)
	})
}

// rateBody is a request body read under a deadline that advances with the bytes read.
type rateBody struct {
	rc    io.ReadCloser
	ctl   *http.ResponseController
	start time.Time
	lim   Limits
	n     int64
}

func (b *rateBody) deadline() time.Time {
	return b.start.Add(b.lim.BodyGrace + time.Duration(float64(b.n)/float64(b.lim.MinBodyRate)*float64(time.Second)))
}

func (b *rateBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.n += int64(n)
	switch {
	case err == io.EOF:
		// The whole body is in: the server may now read the connection in
		// the background (to notice a client going away) without a deadline,
		// while the handler works on.
		b.ctl.SetReadDeadline(time.Time{})
	case err != nil:
		var te interface{ Timeout() bool }
		if errors.As(err, &te) && te.Timeout() {
			return n, fmt.Errorf("%w: %d bytes in %v, under %d bytes/s", errSlowBody, b.n, time.Since(b.start).Round(time.Second), b.lim.MinBodyRate)
		}
	case n > 0:
		b.ctl.SetReadDeadline(b.deadline())
	}
	return n, err
}

func (b *rateBody) Close() error { return b.rc.Close() }

// slots counts the uploads in progress, in total and by token.
type slots struct {
	mu      sync.Mutex
	total   int
	byToken map[string]int
}

// acquireUpload takes an upload slot for token name, or says why it cannot.
func (s *Server) acquireUpload(name string) (release func(), ok bool, why string) {
	s.uploads.mu.Lock()
	defer s.uploads.mu.Unlock()
	if s.uploads.byToken == nil {
		s.uploads.byToken = map[string]int{}
	}
	switch {
	case s.uploads.byToken[name] >= s.limits.MaxUploadsPerToken:
		return nil, false, fmt.Sprintf("this token already has %d upload(s) in progress, the most allowed", s.uploads.byToken[name])
	case s.uploads.total >= s.limits.MaxUploads:
		return nil, false, fmt.Sprintf("the server already receives %d uploads, the most allowed", s.uploads.total)
	}
	s.uploads.total++
	s.uploads.byToken[name]++
	return func() {
		s.uploads.mu.Lock()
		defer s.uploads.mu.Unlock()
		s.uploads.total--
		if s.uploads.byToken[name]--; s.uploads.byToken[name] == 0 {
			delete(s.uploads.byToken, name)
		}
	}, true, ""
}

// writeBusy answers an upload over the limits: 429, try again later.
func writeBusy(w http.ResponseWriter, why string) {
	w.Header().Set("Retry-After", strconv.Itoa(30))
	writeError(w, http.StatusTooManyRequests, "busy", why+"; try again when an upload has finished", nil)
}

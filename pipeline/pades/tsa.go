package pades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/digitorus/timestamp"
)

// TSA is an RFC 3161 time-stamping authority.
type TSA struct {
	URL     string
	Client  *http.Client // default: a client with a 30 s timeout
	Retries int          // further attempts after a failure; default 2
	// Backoff is the wait before retry n (1, 2, ...); default n seconds.
	Backoff func(n int) time.Duration

	mu   sync.Mutex
	last int // size of the last token, to reserve room for the next
}

// reserve is the room to keep in a signature for this TSA's token: the last
// token's size and a margin, or 3 KB before the first (a larger token makes the signature be made again, with room enough).
func (t *TSA) reserve() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last == 0 {
		return 3072
	}
	return t.last + 256
}

// ErrTSA is wrapped by the errors of a timestamp that could not be had.
var ErrTSA = errors.New("time-stamping authority unavailable")

// Stamp returns an RFC 3161 timestamp token (a DER ContentInfo) over the
// SHA-256 of sig, retrying a failed request. It never returns nil without
// an error: a document is not signed without its timestamp.
func (t *TSA) Stamp(ctx context.Context, sig []byte) ([]byte, error) {
	retries := t.Retries
	if retries == 0 {
		retries = 2
	}
	backoff := t.Backoff
	if backoff == nil {
		backoff = func(n int) time.Duration { return time.Duration(n) * time.Second }
	}
	var last error
	for attempt := 0; attempt <= retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(backoff(attempt)):
			}
		}
		tok, err := t.once(ctx, sig)
		if err == nil {
			t.mu.Lock()
			t.last = len(tok)
			t.mu.Unlock()
			return tok, nil
		}
		last = err
	}
	return nil, fmt.Errorf("%w: %s: %d attempts: %v", ErrTSA, t.URL, retries+1, last)
}

func (t *TSA) once(ctx context.Context, sig []byte) ([]byte, error) {
	req, err := timestamp.CreateRequest(bytes.NewReader(sig), &timestamp.RequestOptions{Hash: crypto.SHA256, Certificates: true})
	if err != nil {
		return nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(req))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/timestamp-query")
	c := t.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := c.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	ts, err := timestamp.ParseResponse(body)
	if err != nil {
		return nil, fmt.Errorf("bad response: %w", err)
	}
	want := sha256.Sum256(sig)
	if !bytes.Equal(ts.HashedMessage, want[:]) {
		return nil, errors.New("the timestamp is for other data")
	}
	return ts.RawToken, nil
}

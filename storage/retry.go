package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// RetryPolicy says how WithRetry retries transient errors. Zero fields take the defaults noted on each field.
type RetryPolicy struct {
	// Initial is the wait before the first retry (default 100ms). Each further wait doubles, up to Max.
	Initial time.Duration
	// Max caps a single wait (default 5s).
	Max time.Duration
	// Budget bounds the total time one call may spend, attempts and waits included (default 1m). No retry starts
	// if its wait would end after the budget; the last error is then returned.
	Budget time.Duration
	// Notify, if set, is called before each wait with the operation ("put", "get", ...), the key or prefix, the
	// transient error and the wait. It must be safe for concurrent use.
	Notify func(op, key string, err error, wait time.Duration)
	// Clock tells the time and waits between attempts (default the system clock). Tests give a fake one to check
	// the schedule without waiting.
	Clock Clock
}

// Clock is the time source of WithRetry.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d, or until ctx is done, in which case it returns ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
}

// systemClock is the Clock of the running system.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Initial <= 0 {
		p.Initial = 100 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 5 * time.Second
	}
	if p.Budget <= 0 {
		p.Budget = time.Minute
	}
	if p.Clock == nil {
		p.Clock = systemClock{}
	}
	return p
}

// WithRetry returns a Store that retries calls of s failing with a transient error (IsTransient), waiting with
// exponential backoff and jitter between attempts, within policy.Budget and until ctx is done. Permanent errors are
// returned at once. After the budget is spent the last transient error is returned, still satisfying IsTransient.
//
// What is retried:
//   - Put, only when re-reading the content is possible: r implements io.Seeker (it is rewound to where it was when
//     Put was called) or the failed attempt read nothing from r. Otherwise the first error is returned. Because Put
//     is idempotent, retrying a Put whose first attempt did in fact store the object succeeds.
//   - Get, the opening only; errors while reading the returned stream are not retried.
//   - Stat and Delete.
//   - List, resuming after the last key handed to fn, so fn never sees a key twice. Errors returned by fn are never
//     retried.
func WithRetry(s Store, policy RetryPolicy) Store {
	return &retryStore{s: s, p: policy.withDefaults()}
}

type retryStore struct {
	s Store
	p RetryPolicy
}

// do runs f until it succeeds, fails permanently, retry reports false, or the budget or ctx runs out.
func (rs *retryStore) do(ctx context.Context, op, key string, retry func() bool, f func() error) error {
	clock := rs.p.Clock
	start := clock.Now()
	wait := rs.p.Initial
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil || !IsTransient(err) || ctx.Err() != nil || (retry != nil && !retry()) {
			return err
		}
		// Full jitter in [wait/2, wait] keeps many workers from retrying in lockstep.
		d := wait/2 + rand.N(wait/2+1)
		if spent := clock.Now().Sub(start); spent+d > rs.p.Budget {
			return fmt.Errorf("%s %q: giving up after %d attempts in %v: %w", op, key, attempt,
				spent.Round(time.Millisecond), err)
		}
		if rs.p.Notify != nil {
			rs.p.Notify(op, key, err, d)
		}
		if cerr := clock.Sleep(ctx, d); cerr != nil {
			return fmt.Errorf("%s %q: %w (while waiting to retry after: %v)", op, key, cerr, err)
		}
		wait = min(2*wait, rs.p.Max)
	}
}

func (rs *retryStore) Put(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions) (ObjectInfo, error) {
	seeker, seekable := r.(io.Seeker)
	var start int64
	if seekable {
		var err error
		if start, err = seeker.Seek(0, io.SeekCurrent); err != nil {
			seekable = false
		}
	}
	cr := &CountingReader{R: r}
	var body io.Reader = cr
	if seekable {
		// Let the backend seek too (storage/s3 hashes a seekable reader in place instead of spooling it); a retry
		// rewinds to start whatever the backend did.
		body = seekingReader{cr, seeker}
	}
	var info ObjectInfo
	retry := func() bool {
		if cr.N == 0 {
			return true
		}
		if !seekable {
			return false
		}
		if _, err := seeker.Seek(start, io.SeekStart); err != nil {
			return false
		}
		cr.N = 0
		return true
	}
	err := rs.do(ctx, "put", key, retry, func() error {
		var err error
		info, err = rs.s.Put(ctx, key, body, size, opts)
		return err
	})
	return info, err
}

// seekingReader is a CountingReader over a seekable reader.
type seekingReader struct {
	*CountingReader
	s io.Seeker
}

func (r seekingReader) Seek(offset int64, whence int) (int64, error) { return r.s.Seek(offset, whence) }

func (rs *retryStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	var rc io.ReadCloser
	err := rs.do(ctx, "get", key, nil, func() error {
		var err error
		rc, err = rs.s.Get(ctx, key)
		return err
	})
	return rc, err
}

func (rs *retryStore) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	var info ObjectInfo
	err := rs.do(ctx, "stat", key, nil, func() error {
		var err error
		info, err = rs.s.Stat(ctx, key)
		return err
	})
	return info, err
}

// errStopList stops a backend's List after fn failed; fn's own error is kept separately.
var errStopList = errors.New("storage: list stopped by callback")

func (rs *retryStore) List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error {
	var last string
	started := false
	var fnErr error
	err := rs.do(ctx, "list", prefix, func() bool { return fnErr == nil }, func() error {
		return rs.s.List(ctx, prefix, func(oi ObjectInfo) error {
			if started && oi.Key <= last {
				return nil // delivered by an earlier attempt
			}
			if err := fn(oi); err != nil {
				fnErr = err
				return errStopList
			}
			last, started = oi.Key, true
			return nil
		})
	})
	if fnErr != nil {
		return fnErr
	}
	return err
}

func (rs *retryStore) Delete(ctx context.Context, key string) error {
	return rs.do(ctx, "delete", key, nil, func() error { return rs.s.Delete(ctx, key) })
}

package accounts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// window is the number of the current rate-limit window.
func (s *Store) window() int64 {
	return s.opt.Now().UnixNano() / int64(s.opt.Window)
}

// failKey counts the failed logins of one user name or one address in one window.
func failKey(kind, who string, window int64) string {
	return "sohoa:loginfail:" + kind + ":" + strconv.FormatInt(window, 10) + ":" + who
}

// Login checks name's password for a login from addr (the client's IP
// address). It refuses, without checking the password, once the user name or
// the address has MaxFailsPerUser or MaxFailsPerAddr failed logins in the
// current window (ErrRateLimited); a wrong password or an unknown user is
// ErrBadCredentials, a disabled user ErrDisabled. Each failure counts against
// both limits. A Redis error refuses the login.
func (s *Store) Login(ctx context.Context, name, password, addr string) (*User, error) {
	if err := s.Throttle(ctx, name, addr); err != nil {
		return nil, err
	}
	u, err := s.Get(ctx, name)
	switch {
	case errors.Is(err, ErrUnknownUser):
		checkPassword(password, s.dummy) // as long as for a known user
		return nil, s.Fail(ctx, name, addr, ErrBadCredentials)
	case err != nil:
		return nil, err
	}
	ok, err := checkPassword(password, u.hash)
	if err != nil {
		return nil, fmt.Errorf("login %s: %w", name, err)
	}
	if !ok {
		return nil, s.Fail(ctx, name, addr, ErrBadCredentials)
	}
	if u.Disabled {
		return nil, s.Fail(ctx, name, addr, ErrDisabled)
	}
	if err := s.rdb.Del(ctx, failKey("user", name, s.window())).Err(); err != nil {
		return nil, fmt.Errorf("login %s: %w", name, err)
	}
	return u, nil
}

// Throttle returns ErrRateLimited when the user name (unless "") or the
// address has used up its failed logins in the current window.
func (s *Store) Throttle(ctx context.Context, name, addr string) error {
	w := s.window()
	counts, err := s.rdb.MGet(ctx, failKey("user", name, w), failKey("addr", addr, w)).Result()
	if err != nil {
		return fmt.Errorf("login %s: %w", name, err)
	}
	if name != "" && n(counts[0]) >= s.opt.MaxFailsPerUser || n(counts[1]) >= s.opt.MaxFailsPerAddr {
		return ErrRateLimited
	}
	return nil
}

// Fail counts a failed login against the user name (unless "") and the
// address, and returns why (a failed token login counts against the address only).
func (s *Store) Fail(ctx context.Context, name, addr string, why error) error {
	w := s.window()
	keys := []string{failKey("addr", addr, w)}
	if name != "" {
		keys = append(keys, failKey("user", name, w))
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Incr(ctx, k)
			p.Expire(ctx, k, 2*s.opt.Window)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w (and counting the failure: %v)", why, err)
	}
	return why
}

// n reads a counter from MGET: nil is 0.
func n(v any) int {
	s, _ := v.(string)
	i, _ := strconv.Atoi(s)
	return i
}

// RetryAfter is how long until the current rate-limit window ends.
func (s *Store) RetryAfter() time.Duration {
	now := s.opt.Now().UnixNano()
	return time.Duration(int64(s.opt.Window) - now%int64(s.opt.Window))
}

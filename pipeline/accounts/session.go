package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Session kinds.
const (
	KindUser  = "user"  // a user logged in with a password
	KindToken = "token" // an API token exchanged at the login page
)

// Session is a logged-in browser.
type Session struct {
	Kind    string
	Name    string // the user's name, or the token's
	Role    string
	Token   string // KindToken: the token's SHA-256, which must still be configured
	Expires time.Time
	gen     int64
}

func sessionKey(id string) string {
	s := sha256.Sum256([]byte(id))
	return "sohoa:session:" + hex.EncodeToString(s[:])
}

// NewSession starts a session for sess (Kind, Name, Role and, for tokens,
// Token) and returns its id, 32 random bytes in base64url, for the cookie.
// A user's session is tied to the user's current password and enabled state.
func (s *Store) NewSession(ctx context.Context, sess Session) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("session id: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(b[:])
	if sess.Kind == KindUser {
		u, err := s.Get(ctx, sess.Name)
		if err != nil {
			return "", err
		}
		sess.gen, sess.Role = u.gen, u.Role
	}
	exp := s.opt.Now().Add(s.opt.SessionTTL)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		k := sessionKey(id)
		p.HSet(ctx, k, "kind", sess.Kind, "name", sess.Name, "role", sess.Role, "token", sess.Token,
			"gen", sess.gen, "expires", exp.UnixNano())
		// Redis drops it a while after it expires; Session checks the expiry itself.
		p.Expire(ctx, k, s.opt.SessionTTL+time.Hour)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("session: %w", err)
	}
	return id, nil
}

// Session returns the live session with id: ErrNoSession when there is none,
// it has expired, or its user has since been disabled or given a new password.
// A user's role is read afresh.
func (s *Store) Session(ctx context.Context, id string) (*Session, error) {
	if id == "" || len(id) > 128 {
		return nil, ErrNoSession
	}
	m, err := s.rdb.HGetAll(ctx, sessionKey(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	if len(m) == 0 {
		return nil, ErrNoSession
	}
	exp, err1 := strconv.ParseInt(m["expires"], 10, 64)
	gen, err2 := strconv.ParseInt(m["gen"], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	sess := &Session{Kind: m["kind"], Name: m["name"], Role: m["role"], Token: m["token"], Expires: time.Unix(0, exp), gen: gen}
	if !s.opt.Now().Before(sess.Expires) {
		return nil, ErrNoSession
	}
	switch sess.Kind {
	case KindToken:
	case KindUser:
		u, err := s.Get(ctx, sess.Name)
		if errors.Is(err, ErrUnknownUser) {
			return nil, ErrNoSession
		}
		if err != nil {
			return nil, err
		}
		if u.Disabled || u.gen != sess.gen {
			return nil, ErrNoSession
		}
		sess.Role = u.Role
	default:
		return nil, ErrNoSession
	}
	return sess, nil
}

// EndSession ends the session with id (logout); ending none is not an error.
func (s *Store) EndSession(ctx context.Context, id string) error {
	if err := s.rdb.Del(ctx, sessionKey(id)).Err(); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// Package accounts holds the people who use "sohoa serve": users with a
// name, an argon2id-hashed password and a role, their login sessions, and
// the limits on failed logins, all kept in Redis beside the queue.
//
// API tokens (configs.Token) stay for scanning stations and scripts; users
// are for people at the dashboard. A session is a random id in the browser's
// cookie; Redis keeps only its SHA-256, with the user, the role and the
// expiry. Changing a user's password or disabling the user ends every one of
// the user's sessions at once. Expiry and the rate-limit windows are
// measured on Options.Now, so tests move time instead of waiting.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/configs"
)

// Errors returned by Store.
var (
	ErrUnknownUser    = errors.New("no such user")
	ErrExists         = errors.New("user already exists")
	ErrBadCredentials = errors.New("wrong user name or password")
	ErrDisabled       = errors.New("user is disabled")
	ErrRateLimited    = errors.New("too many failed logins; try again later")
	ErrNoSession      = errors.New("no such session, or it has expired")
)

// Options configure a Store; zero fields take the defaults.
type Options struct {
	Now        func() time.Time // the clock; default time.Now
	SessionTTL time.Duration    // a session's lifetime from login; default 8h
	// Failed logins allowed in one Window per user name and per client address.
	MaxFailsPerUser, MaxFailsPerAddr int           // default 5 and 20
	Window                           time.Duration // default 15m
	Params                           Params        // argon2id cost of new hashes; default DefaultParams
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 8 * time.Hour
	}
	if o.MaxFailsPerUser <= 0 {
		o.MaxFailsPerUser = 5
	}
	if o.MaxFailsPerAddr <= 0 {
		o.MaxFailsPerAddr = 20
	}
	if o.Window <= 0 {
		o.Window = 15 * time.Minute
	}
	if o.Params == (Params{}) {
		o.Params = DefaultParams
	}
	return o
}

// Store keeps users and sessions in Redis.
type Store struct {
	rdb   redis.UniversalClient
	opt   Options
	dummy string // a hash to check unknown users against, so they take as long as known ones
}

// New returns a Store on rdb.
func New(rdb redis.UniversalClient, opt Options) (*Store, error) {
	s := &Store{rdb: rdb, opt: opt.withDefaults()}
	var err error
	if s.dummy, err = hashPassword("sohoa-dummy-password", s.opt.Params); err != nil {
		return nil, err
	}
	return s, nil
}

// SessionTTL is the lifetime of a new session.
func (s *Store) SessionTTL() time.Duration { return s.opt.SessionTTL }

// User is an account.
type User struct {
	Name     string    `json:"name"`
	FullName string    `json:"fullName,omitempty"` // for people: records and the audit trail
	Role     string    `json:"role"`
	Disabled bool      `json:"disabled"`
	Created  time.Time `json:"created"`
	gen      int64     // incremented by SetPassword and Disable; sessions of older generations are void
	hash     string
}

func userKey(name string) string { return "sohoa:user:" + name }

// usersKey is the set of user names.
const usersKey = "sohoa:users"

// ValidName reports whether name can be a user name: 1 to 64 ASCII letters,
// digits, '.', '_', '-' or '@'.
func ValidName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' || r == '@'
		if !ok {
			return false
		}
	}
	return true
}

// ValidRole reports whether role is one of the roles of configs.
func ValidRole(role string) bool {
	switch role {
	case configs.RoleStation, configs.RoleStaff, configs.RoleOfficer, configs.RoleAdmin, configs.RoleReviewer:
		return true
	}
	return false
}

func checkPasswordLen(pw string) error {
	if n := len([]rune(pw)); n < MinPasswordLen || n > MaxPasswordLen {
		return ErrWeakPassword
	}
	return nil
}

// Add creates a user.
func (s *Store) Add(ctx context.Context, name, fullName, role, password string) error {
	if !ValidName(name) {
		return fmt.Errorf("user name %q: 1 to 64 letters, digits, '.', '_', '-' or '@'", name)
	}
	if !ValidRole(role) {
		return fmt.Errorf("role %q: must be station, staff, officer or admin", role)
	}
	if err := checkPasswordLen(password); err != nil {
		return err
	}
	h, err := hashPassword(password, s.opt.Params)
	if err != nil {
		return err
	}
	ok, err := s.rdb.HSetNX(ctx, userKey(name), "hash", h).Result()
	if err != nil {
		return fmt.Errorf("add user %s: %w", name, err)
	}
	if !ok {
		return fmt.Errorf("add user %s: %w", name, ErrExists)
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, userKey(name), "role", role, "fullName", fullName, "disabled", "0", "gen", 1,
			"created", s.opt.Now().UTC().Format(time.RFC3339))
		p.SAdd(ctx, usersKey, name)
		return nil
	})
	if err != nil {
		return fmt.Errorf("add user %s: %w", name, err)
	}
	return nil
}

// Get returns the user called name.
func (s *Store) Get(ctx context.Context, name string) (*User, error) {
	if !ValidName(name) {
		return nil, ErrUnknownUser
	}
	m, err := s.rdb.HGetAll(ctx, userKey(name)).Result()
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", name, err)
	}
	if m["hash"] == "" || m["role"] == "" {
		return nil, ErrUnknownUser
	}
	u := &User{Name: name, FullName: m["fullName"], Role: m["role"], Disabled: m["disabled"] == "1", hash: m["hash"]}
	u.Created, _ = time.Parse(time.RFC3339, m["created"])
	if u.gen, err = strconv.ParseInt(m["gen"], 10, 64); err != nil {
		return nil, fmt.Errorf("user %s: generation %q: %w", name, m["gen"], err)
	}
	return u, nil
}

// Users returns every user, by name.
func (s *Store) Users(ctx context.Context) ([]*User, error) {
	names, err := s.rdb.SMembers(ctx, usersKey).Result()
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	var us []*User
	for _, n := range names {
		u, err := s.Get(ctx, n)
		if err != nil {
			return nil, err
		}
		us = append(us, u)
	}
	return us, nil
}

// SetPassword changes a user's password and ends the user's sessions.
func (s *Store) SetPassword(ctx context.Context, name, password string) error {
	if err := checkPasswordLen(password); err != nil {
		return err
	}
	if _, err := s.Get(ctx, name); err != nil {
		return err
	}
	h, err := hashPassword(password, s.opt.Params)
	if err != nil {
		return err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, userKey(name), "hash", h)
		p.HIncrBy(ctx, userKey(name), "gen", 1)
		p.Del(ctx, failKey("user", name, s.window()))
		return nil
	})
	if err != nil {
		return fmt.Errorf("password of %s: %w", name, err)
	}
	return nil
}

// Disable stops a user from logging in and ends the user's sessions.
func (s *Store) Disable(ctx context.Context, name string) error {
	if _, err := s.Get(ctx, name); err != nil {
		return err
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, userKey(name), "disabled", "1")
		p.HIncrBy(ctx, userKey(name), "gen", 1)
		return nil
	})
	if err != nil {
		return fmt.Errorf("disable %s: %w", name, err)
	}
	return nil
}

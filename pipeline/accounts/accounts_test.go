package accounts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/testenv"

	"github.com/sohoa-vn/sohoa/configs"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newStore returns a Store on its own Redis database (this package uses 85,
// see scripts/with-services.sh), emptied, with a test clock and cheap hashes.
func newStore(t *testing.T) (*Store, *clock) {
	t.Helper()
	addr := os.Getenv("SOHOA_TEST_REDIS_ADDR")
	if addr == "" {
		t.Fatal("SOHOA_TEST_REDIS_ADDR not set: run the tests with scripts/with-services.sh (make test)")
	}
	rdb := testenv.Redis(t)
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	s, err := New(rdb, Options{Now: c.Now, SessionTTL: time.Hour, MaxFailsPerUser: 3, MaxFailsPerAddr: 5,
		Window: 10 * time.Minute, Params: Params{Memory: 1024, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// TestPasswordHash: hashes are argon2id PHC strings with a fresh salt; the
// right password matches, a wrong one and a malformed hash do not.
func TestPasswordHash(t *testing.T) {
	h1, err := hashPassword("mật khẩu đúng 1", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := hashPassword("mật khẩu đúng 1", DefaultParams)
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") || h1 == h2 {
		t.Errorf("hashes %q, %q", h1, h2)
	}
	if ok, err := checkPassword("mật khẩu đúng 1", h1); !ok || err != nil {
		t.Errorf("right password: %v %v", ok, err)
	}
	if ok, err := checkPassword("mật khẩu đúng 2", h1); ok || err != nil {
		t.Errorf("wrong password: %v %v", ok, err)
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA", strings.TrimSuffix(h1, h1[len(h1)-43:])} {
		if ok, err := checkPassword("x", bad); ok || err == nil {
			t.Errorf("hash %q: %v %v", bad, ok, err)
		}
	}
}

// TestLogin: a user logs in with the right password and gets a session that
// names them; a wrong password, an unknown user and a too short password are
// refused; the password is stored only as its hash.
func TestLogin(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if err := s.Add(ctx, "lan.nguyen", "Nguyễn Thị Lan", configs.RoleStaff, "đúng-mật-khẩu"); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, "lan.nguyen", "", configs.RoleAdmin, "đúng-mật-khẩu"); !errors.Is(err, ErrExists) {
		t.Errorf("second add: %v", err)
	}
	for _, c := range []struct{ name, role, pw string }{{"a b", configs.RoleStaff, "0123456789"}, {"x", "root", "0123456789"}, {"y", configs.RoleStaff, "short"}} {
		if err := s.Add(ctx, c.name, "", c.role, c.pw); err == nil {
			t.Errorf("add %+v accepted", c)
		}
	}
	m, _ := s.rdb.HGetAll(ctx, userKey("lan.nguyen")).Result()
	if strings.Contains(fmt.Sprint(m), "đúng-mật-khẩu") || !strings.HasPrefix(m["hash"], "$argon2id$") {
		t.Errorf("stored user: %v", m)
	}
	u, err := s.Login(ctx, "lan.nguyen", "đúng-mật-khẩu", "10.0.0.1")
	if err != nil || u.Role != configs.RoleStaff || u.FullName != "Nguyễn Thị Lan" {
		t.Fatalf("login: %+v %v", u, err)
	}
	if _, err := s.Login(ctx, "lan.nguyen", "sai-mật-khẩu", "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := s.Login(ctx, "nobody", "đúng-mật-khẩu", "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("unknown user: %v", err)
	}
	id, err := s.NewSession(ctx, Session{Kind: KindUser, Name: u.Name})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := s.Session(ctx, id)
	if err != nil || sess.Name != "lan.nguyen" || sess.Role != configs.RoleStaff {
		t.Fatalf("session: %+v %v", sess, err)
	}
	// Redis holds the id's hash, never the id.
	keys, _ := s.rdb.Keys(ctx, "sohoa:session:*").Result()
	if len(keys) != 1 || strings.Contains(keys[0], id) {
		t.Errorf("session keys %v", keys)
	}
	if err := s.EndSession(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, id); !errors.Is(err, ErrNoSession) {
		t.Errorf("after logout: %v", err)
	}
}

// TestRateLimit: after MaxFailsPerUser failures a user name is refused even
// with the right password, until the window passes; after MaxFailsPerAddr
// failures from one address, every name from it is refused, other addresses not.
func TestRateLimit(t *testing.T) {
	s, c := newStore(t)
	ctx := context.Background()
	for _, n := range []string{"an", "binh"} {
		if err := s.Add(ctx, n, "", configs.RoleStaff, "đúng-mật-khẩu"); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if _, err := s.Login(ctx, "an", "sai", fmt.Sprintf("10.0.0.%d", i+1)); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if _, err := s.Login(ctx, "an", "đúng-mật-khẩu", "10.0.0.9"); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("4th login of a user with 3 failures: %v", err)
	}
	if _, err := s.Login(ctx, "binh", "đúng-mật-khẩu", "10.0.0.9"); err != nil {
		t.Errorf("another user: %v", err)
	}
	c.Add(10 * time.Minute)
	if _, err := s.Login(ctx, "an", "đúng-mật-khẩu", "10.0.0.9"); err != nil {
		t.Errorf("next window: %v", err)
	}
	// Per address: five failures for five names from one address.
	for i := range 5 {
		if _, err := s.Login(ctx, fmt.Sprintf("guess%d", i), "sai", "192.0.2.7"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("address failure %d: %v", i, err)
		}
	}
	if _, err := s.Login(ctx, "binh", "đúng-mật-khẩu", "192.0.2.7"); !errors.Is(err, ErrRateLimited) {
		t.Errorf("address with 5 failures: %v", err)
	}
	if _, err := s.Login(ctx, "binh", "đúng-mật-khẩu", "192.0.2.8"); err != nil {
		t.Errorf("another address: %v", err)
	}
}

// TestSessionEnds: a session is refused once it has expired, once its user is
// disabled, and once its user's password changes; a disabled user cannot log in.
func TestSessionEnds(t *testing.T) {
	s, c := newStore(t)
	ctx := context.Background()
	if err := s.Add(ctx, "cuong", "", configs.RoleOfficer, "đúng-mật-khẩu"); err != nil {
		t.Fatal(err)
	}
	start := func() string {
		t.Helper()
		id, err := s.NewSession(ctx, Session{Kind: KindUser, Name: "cuong"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, id); err != nil {
			t.Fatalf("new session: %v", err)
		}
		return id
	}
	id := start()
	c.Add(59 * time.Minute)
	if _, err := s.Session(ctx, id); err != nil {
		t.Errorf("session before expiry: %v", err)
	}
	c.Add(time.Minute)
	if _, err := s.Session(ctx, id); !errors.Is(err, ErrNoSession) {
		t.Errorf("expired session: %v", err)
	}
	id = start()
	if err := s.SetPassword(ctx, "cuong", "mật-khẩu-mới-123"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, id); !errors.Is(err, ErrNoSession) {
		t.Errorf("session after password change: %v", err)
	}
	if _, err := s.Login(ctx, "cuong", "đúng-mật-khẩu", "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("old password: %v", err)
	}
	id = start()
	if err := s.Disable(ctx, "cuong"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, id); !errors.Is(err, ErrNoSession) {
		t.Errorf("session of a disabled user: %v", err)
	}
	if _, err := s.Login(ctx, "cuong", "mật-khẩu-mới-123", "10.0.0.1"); !errors.Is(err, ErrDisabled) {
		t.Errorf("disabled user's login: %v", err)
	}
	if err := s.Disable(ctx, "nobody"); !errors.Is(err, ErrUnknownUser) {
		t.Errorf("disable unknown: %v", err)
	}
}

package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline/accounts"
)

// testClock is a settable clock for sessions and rate limits.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// logBuffer collects a server's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.buf.String() }

// withClock gives the server's accounts the clock c and small limits: 3
// failed logins per user, 6 per address in 10 minutes, sessions of one hour,
// cheap password hashes.
func withClock(c *testClock) func(*Config) {
	return func(cfg *Config) {
		cfg.Accounts = accounts.Options{Now: c.Now, SessionTTL: time.Hour, MaxFailsPerUser: 3, MaxFailsPerAddr: 6,
			Window: 10 * time.Minute, Params: accounts.Params{Memory: 1024, Time: 1, Threads: 1}}
	}
}

// addUser creates a user in the env's Redis.
func (e *testEnv) addUser(name, role, password string) {
	e.t.Helper()
	st, err := accounts.New(e.q.Redis(), accounts.Options{Params: accounts.Params{Memory: 1024, Time: 1, Threads: 1}})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := st.Add(context.Background(), name, "", role, password); err != nil {
		e.t.Fatal(err)
	}
}

// loginAs posts the login form and returns the response (not followed) and the session cookie, if any.
func (e *testEnv) loginAs(form url.Values) (*http.Response, *http.Cookie) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.url+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == cookieName && c.Value != "" {
			return resp, c
		}
	}
	return resp, nil
}

// withCookie GETs path with the session cookie, not following redirects.
func (e *testEnv) withCookie(path string, c *http.Cookie) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.url+path, nil)
	req.AddCookie(&http.Cookie{Name: cookieName, Value: c.Value})
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestUserLogin: a user logs in with name and password and gets a random
// session id in the cookie (not a token, not the password) that opens the
// dashboard with the user's role; a wrong password is refused and logged; a
// disabled user is refused; the user's failed logins are rate-limited
// (429, even with the right password); a session expires on the clock; logout ends it.
func TestUserLogin(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	var logs logBuffer
	e := newEnv(t, 64<<20, withClock(clock), func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	e.addUser("lan", configs.RoleStaff, "mật-khẩu-của-lan")
	e.addUser("officer1", configs.RoleOfficer, "mật-khẩu-cán-bộ")

	resp, c := e.loginAs(url.Values{"user": {"lan"}, "password": {"mật-khẩu-của-lan"}, "next": {"/?lang=en"}})
	if resp.StatusCode != http.StatusSeeOther || c == nil || resp.Header.Get("Location") != "/?lang=en" {
		t.Fatalf("login: %d %v %q", resp.StatusCode, c, resp.Header.Get("Location"))
	}
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.MaxAge != 3600 || len(c.Value) != 43 ||
		strings.Contains(c.Value, "lan") || strings.HasPrefix(c.Value, tokenPrefix) {
		t.Errorf("session cookie %+v", c)
	}
	if code, body := e.withCookie("/?lang=en", c); code != 200 || !strings.Contains(body, "lan (staff)") {
		t.Errorf("dashboard with the session: %d %s", code, body)
	}
	// The staff user may not download packages (officer's right).
	if code, _ := e.withCookie("/api/v1/batches/x/package", c); code != http.StatusForbidden {
		t.Errorf("staff session downloading: %d, want 403", code)
	}

	// A wrong password: 401, the login page again, and a log line naming the user and address.
	resp, bad := e.loginAs(url.Values{"user": {"officer1"}, "password": {"sai-mật-khẩu-1"}})
	if resp.StatusCode != http.StatusUnauthorized || bad != nil {
		t.Errorf("wrong password: %d %v", resp.StatusCode, bad)
	}
	if l := logs.String(); !strings.Contains(l, `msg="login refused" user=officer1 addr=127.0.0.1 reason="wrong user name or password"`) {
		t.Errorf("refused login not logged:\n%s", l)
	}
	// Two more failures reach the user's limit: the right password is refused too, with 429.
	for range 2 {
		e.loginAs(url.Values{"user": {"officer1"}, "password": {"sai-mật-khẩu-2"}})
	}
	resp, bad = e.loginAs(url.Values{"user": {"officer1"}, "password": {"mật-khẩu-cán-bộ"}})
	if resp.StatusCode != http.StatusTooManyRequests || bad != nil || resp.Header.Get("Retry-After") == "" {
		t.Errorf("4th login after 3 failures: %d %v, Retry-After %q", resp.StatusCode, bad, resp.Header.Get("Retry-After"))
	}
	if !strings.Contains(logs.String(), `user=officer1 addr=127.0.0.1 reason="too many failed logins; try again later"`) {
		t.Errorf("rate-limited login not logged")
	}
	// The next window lets the officer in.
	clock.Add(10 * time.Minute)
	if resp, oc := e.loginAs(url.Values{"user": {"officer1"}, "password": {"mật-khẩu-cán-bộ"}}); resp.StatusCode != http.StatusSeeOther || oc == nil {
		t.Errorf("officer in the next window: %d", resp.StatusCode)
	}

	// The session expires an hour after login (10 minutes have passed).
	clock.Add(49 * time.Minute)
	if code, _ := e.withCookie("/", c); code != 200 {
		t.Errorf("session after 59 minutes: %d", code)
	}
	clock.Add(time.Minute)
	if code, _ := e.withCookie("/", c); code != http.StatusSeeOther {
		t.Errorf("expired session: %d, want 303 to the login page", code)
	}
	if code, _ := e.withCookie("/api/v1/batches", c); code != http.StatusUnauthorized {
		t.Errorf("expired session on the API: %d, want 401", code)
	}

	// A disabled user cannot log in, and the sessions it had end.
	_, c = e.loginAs(url.Values{"user": {"lan"}, "password": {"mật-khẩu-của-lan"}})
	st, _ := accounts.New(e.q.Redis(), accounts.Options{})
	if err := st.Disable(context.Background(), "lan"); err != nil {
		t.Fatal(err)
	}
	if code, _ := e.withCookie("/", c); code != http.StatusSeeOther {
		t.Errorf("session of a disabled user: %d", code)
	}
	if resp, c := e.loginAs(url.Values{"user": {"lan"}, "password": {"mật-khẩu-của-lan"}}); resp.StatusCode != http.StatusUnauthorized || c != nil {
		t.Errorf("disabled user's login: %d %v", resp.StatusCode, c)
	}

	// A token still logs in at the login page (scanning stations); logout ends its session.
	resp, c = e.loginAs(url.Values{"token": {e.tokens[configs.RoleAdmin]}})
	if resp.StatusCode != http.StatusSeeOther || c == nil || strings.Contains(c.Value, e.tokens[configs.RoleAdmin]) {
		t.Fatalf("token login: %d %+v", resp.StatusCode, c)
	}
	req, _ := http.NewRequest("POST", e.url+"/logout", nil)
	req.AddCookie(c)
	if resp, err := http.DefaultTransport.RoundTrip(req); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %v", err)
	}
	if code, _ := e.withCookie("/", c); code != http.StatusSeeOther {
		t.Errorf("session after logout: %d", code)
	}
}

// TestLoginRateLimitAddress: failed logins from one address, under any names
// and with tokens, reach the address's limit; then even a right password from
// it is refused.
func TestLoginRateLimitAddress(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	e := newEnv(t, 64<<20, withClock(clock))
	e.addUser("binh", configs.RoleStaff, "mật-khẩu-của-bình")
	for i := range 6 {
		f := url.Values{"user": {"guess" + string(rune('a'+i))}, "password": {"x"}}
		if i%2 == 1 {
			f = url.Values{"token": {"sohoa_guess"}}
		}
		if resp, _ := e.loginAs(f); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, resp.StatusCode)
		}
	}
	if resp, c := e.loginAs(url.Values{"user": {"binh"}, "password": {"mật-khẩu-của-bình"}}); resp.StatusCode != http.StatusTooManyRequests || c != nil {
		t.Errorf("right password from an address with 6 failures: %d", resp.StatusCode)
	}
	if resp, c := e.loginAs(url.Values{"token": {e.tokens[configs.RoleStaff]}}); resp.StatusCode != http.StatusTooManyRequests || c != nil {
		t.Errorf("right token from an address with 6 failures: %d", resp.StatusCode)
	}
}

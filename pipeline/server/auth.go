package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/sohoa-vn/sohoa/configs"
)

// tokenPrefix starts every token, so that a leaked one is easy to recognise.
const tokenPrefix = "sohoa_"

// cookieName is the dashboard's login cookie; it holds the token.
const cookieName = "sohoa_token"

// NewToken returns a new random API token and its SHA-256, as stored in the configuration.
func NewToken() (token, sum string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("token: %w", err)
	}
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token), nil
}

// HashToken returns the lower-case hex SHA-256 of a token.
func HashToken(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}

// A permission is something a request may do.
type permission int

const (
	permUpload  permission = iota // upload batches
	permStatus                    // list batches and their progress (JSON)
	permView                      // see documents: dashboard, thumbnails, PDFs
	permRetry                     // retry failed pages
	permPackage                   // download sealed packages
	permMonitor                   // the asynq monitor
	permMetrics                   // /metrics
)

// roles lists which roles hold each permission.
var roles = map[permission][]string{
	permUpload:  {configs.RoleStation, configs.RoleAdmin},
	permStatus:  {configs.RoleStation, configs.RoleStaff, configs.RoleOfficer, configs.RoleAdmin},
	permView:    {configs.RoleStaff, configs.RoleOfficer, configs.RoleAdmin},
	permRetry:   {configs.RoleStaff, configs.RoleAdmin},
	permPackage: {configs.RoleOfficer, configs.RoleAdmin},
	permMonitor: {configs.RoleStaff, configs.RoleAdmin},
	permMetrics: {configs.RoleStaff, configs.RoleAdmin},
}

func allowed(role string, p permission) bool {
	for _, r := range roles[p] {
		if r == role {
			return true
		}
	}
	return false
}

// principal is an authenticated caller.
type principal struct {
	Name, Role string
	Cookie     bool // authenticated by the dashboard cookie, not a header
}

// authenticate finds the caller's token in the Authorization header or the login cookie.
func (s *Server) authenticate(r *http.Request) (*principal, bool) {
	tok, cookie := "", false
	if h := r.Header.Get("Authorization"); h != "" {
		t, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return nil, false
		}
		tok = strings.TrimSpace(t)
	} else if c, err := r.Cookie(cookieName); err == nil {
		tok, cookie = c.Value, true
	}
	if tok == "" {
		return nil, false
	}
	// The lookup is by SHA-256, which does not reveal a token's prefix through timing.
	t, ok := s.tokens[HashToken(tok)]
	if !ok {
		return nil, false
	}
	return &principal{Name: t.Name, Role: t.Role, Cookie: cookie}, true
}

// sameOrigin reports whether a cookie-authenticated request that changes state
// comes from the dashboard itself (cross-site request forgery defence, besides
// the SameSite=Strict cookie).
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		o = r.Header.Get("Referer")
	}
	if o == "" {
		return false
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// require wraps h so that it runs only for a caller holding p. API callers
// get 401 or 403 JSON; browsers without a login are sent to the login page.
func (s *Server) require(p permission, browser bool, h func(w http.ResponseWriter, r *http.Request, who *principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who, ok := s.authenticate(r)
		if !ok {
			if browser {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="sohoa"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "a valid API token is required (Authorization: Bearer ...)", nil)
			return
		}
		if !allowed(who.Role, p) {
			s.log.Info("forbidden", "who", who.Name, "role", who.Role, "method", r.Method, "path", r.URL.Path)
			writeError(w, http.StatusForbidden, "forbidden", fmt.Sprintf("role %s may not do this", who.Role), nil)
			return
		}
		if who.Cookie && r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) {
			writeError(w, http.StatusForbidden, "forbidden", "cross-site request refused", nil)
			return
		}
		h(w, r, who)
	}
}

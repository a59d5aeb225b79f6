package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline/accounts"
)

// tokenPrefix starts every token, so that a leaked one is easy to recognise.
const tokenPrefix = "sohoa_"

// cookieName is the dashboard's login cookie; it holds a random session id
// (accounts.Store.NewSession), never a token or a password.
const cookieName = "sohoa_session"

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
	permAudit                     // the audit trail of logins (a batch's goes with permStatus)
	permReview                    // review batches: accept, correct, reject documents, approve
)

// roles lists which roles hold each permission.
var roles = map[permission][]string{
	permUpload:  {configs.RoleStation, configs.RoleAdmin},
	permStatus:  {configs.RoleStation, configs.RoleStaff, configs.RoleOfficer, configs.RoleReviewer, configs.RoleAdmin},
	permView:    {configs.RoleStaff, configs.RoleOfficer, configs.RoleReviewer, configs.RoleAdmin},
	permRetry:   {configs.RoleStaff, configs.RoleAdmin},
	permPackage: {configs.RoleOfficer, configs.RoleAdmin},
	permMonitor: {configs.RoleStaff, configs.RoleAdmin},
	permMetrics: {configs.RoleStaff, configs.RoleAdmin},
	permAudit:   {configs.RoleAdmin},
	permReview:  {configs.RoleReviewer, configs.RoleStaff, configs.RoleAdmin},
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
	Cookie     bool   // authenticated by the dashboard cookie, not a header
	Session    string // the cookie's session id
}

// authenticate finds the caller: a token in the Authorization header, or
// a live session (of a user or of a token given at the login page) in the
// login cookie.
func (s *Server) authenticate(r *http.Request) (*principal, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		t, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return nil, false
		}
		return s.tokenPrincipal(strings.TrimSpace(t))
	}
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" {
		return nil, false
	}
	sess, err := s.acct.Session(r.Context(), c.Value)
	if err != nil {
		if !errors.Is(err, accounts.ErrNoSession) {
			s.log.Error("session lookup", "error", err)
		}
		return nil, false
	}
	if sess.Kind == accounts.KindToken {
		// The token must still be configured.
		if _, ok := s.tokens[sess.Token]; !ok {
			return nil, false
		}
	}
	return &principal{Name: sess.Name, Role: sess.Role, Cookie: true, Session: c.Value}, true
}

// tokenPrincipal looks an API token up.
func (s *Server) tokenPrincipal(tok string) (*principal, bool) {
	if tok == "" {
		return nil, false
	}
	// The lookup is by SHA-256, which does not reveal a token's prefix through timing.
	t, ok := s.tokens[HashToken(tok)]
	if !ok {
		return nil, false
	}
	return &principal{Name: t.Name, Role: t.Role}, true
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

package server

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strings"

	"github.com/sohoa-vn/sohoa/pipeline/accounts"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
)

// clientAddr is the caller's IP address, for the login rate limit. It is the
// connection's peer: behind a proxy, every client counts as the proxy.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// login starts a session for a user name and password, or for an API token
// (form fields user and password, or token). Failures are logged and counted
// against the rate limits of package accounts; once a limit is reached the
// answer is 429 without the password being checked.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.limits.MaxLoginBody)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("a login body has at most %d bytes", s.limits.MaxLoginBody), nil)
		case errors.Is(err, errSlowBody):
			writeError(w, http.StatusRequestTimeout, "too_slow", err.Error(), nil)
		default:
			writeError(w, http.StatusBadRequest, "malformed", "login form: "+err.Error(), nil)
		}
		return
	}
	ctx, addr := r.Context(), clientAddr(r)
	next := safeNext(r.PostFormValue("next"))
	user, tok := strings.TrimSpace(r.PostFormValue("user")), strings.TrimSpace(r.PostFormValue("token"))
	var sess accounts.Session
	var err error
	if user != "" {
		var u *accounts.User
		if u, err = s.acct.Login(ctx, user, r.PostFormValue("password"), addr); err == nil {
			sess = accounts.Session{Kind: accounts.KindUser, Name: u.Name, Role: u.Role}
		}
	} else if err = s.acct.Throttle(ctx, "", addr); err == nil {
		if t, ok := s.tokens[HashToken(tok)]; tok != "" && ok {
			sess = accounts.Session{Kind: accounts.KindToken, Name: t.Name, Role: t.Role, Token: t.SHA256}
		} else {
			err = s.acct.Fail(ctx, "", addr, accounts.ErrBadCredentials)
		}
	}
	var id string
	if err == nil {
		id, err = s.acct.NewSession(ctx, sess)
	}
	if err != nil {
		s.loginFailed(w, r, user, addr, next, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: id, Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookie,
		SameSite: http.SameSiteStrictMode, MaxAge: int(s.acct.SessionTTL().Seconds())})
	s.log.Info("dashboard login", "who", sess.Name, "kind", sess.Kind, "role", sess.Role, "addr", addr)
	s.record(ctx, r, &principal{Name: sess.Name, Role: sess.Role}, audit.Entry{Action: audit.Login, Detail: sess.Kind})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// loginFailed logs a refused login and answers with the login page and a reason for people.
func (s *Server) loginFailed(w http.ResponseWriter, r *http.Request, user, addr, next string, err error) {
	T := labels[lang(w, r)]
	status, msg := http.StatusUnauthorized, T["badLogin"]
	switch {
	case errors.Is(err, accounts.ErrRateLimited):
		mins := int(math.Ceil(s.acct.RetryAfter().Minutes()))
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(s.acct.RetryAfter().Seconds()))))
		status, msg = http.StatusTooManyRequests, fmt.Sprintf(T["rateLimited"], mins)
	case errors.Is(err, accounts.ErrBadCredentials), errors.Is(err, accounts.ErrDisabled):
	default:
		s.log.Error("login", "user", user, "addr", addr, "error", err)
		status, msg = http.StatusServiceUnavailable, T["loginUnavailable"]
	}
	s.log.Warn("login refused", "user", user, "addr", addr, "reason", err.Error())
	who := user
	if who == "" {
		who = "(token)"
	}
	s.record(r.Context(), r, nil, audit.Entry{Action: audit.LoginFailed, Who: who, Detail: err.Error()})
	s.render(w, r, "login", status, page{Error: msg, Next: next, Data: user})
}

// logout ends the session and clears the cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(cookieName); err == nil && c.Value != "" {
		if sess, err := s.acct.Session(r.Context(), c.Value); err == nil {
			s.record(r.Context(), r, &principal{Name: sess.Name, Role: sess.Role}, audit.Entry{Action: audit.Logout})
		}
		if err := s.acct.EndSession(r.Context(), c.Value); err != nil {
			s.log.Error("logout", "error", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookie,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

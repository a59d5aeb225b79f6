package server

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
	"github.com/sohoa-vn/sohoa/pipeline/state"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticRoot embed.FS

// staticFS serves /static/...: the script and style sheet of the dashboard.
var staticFS fs.FS = staticRoot

// ict is Indochina Time (UTC+7, no daylight saving), the zone of the dashboard's times.
var ict = time.FixedZone("ICT", 7*3600)

// views holds the parsed dashboard templates.
type views struct {
	pages map[string]*template.Template
}

func newViews() (*views, error) {
	v := &views{pages: map[string]*template.Template{}}
	funcs := template.FuncMap{
		"pct": func(n, total int) float64 {
			if total == 0 {
				return 0
			}
			return 100 * float64(n) / float64(total)
		},
		"clock": func(t time.Time) string {
			if t.IsZero() {
				return "–"
			}
			return t.In(ict).Format("15:04:05 02/01/2006") + " ICT"
		},
		"sub":     func(a, b int) int { return max(0, a-b) },
		"explain": explain,
		"why": func(lang string, t map[string]string, stage, reason string) whyView {
			return whyView{E: explain(lang, stage, reason), T: t, Stage: stage, Reason: reason}
		},
		"ict":         func(t time.Time) string { return t.In(ict).Format("15:04:05 02/01/2006") + " ICT" },
		"f1":          func(x float64) string { return fmt.Sprintf("%.1f", x) },
		"esc":         url.PathEscape,
		"reviewWidth": func() int { return reviewWidth },
	}
	for _, name := range []string{"list", "detail", "login", "review", "reviewlist"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("dashboard templates: %w", err)
		}
		v.pages[name] = t
	}
	return v, nil
}

// page is what every template gets.
type page struct {
	T        map[string]string // labels in the chosen language
	Lang     string
	Who      *principal
	Fragment bool // only the live part, for the polling script
	Data     any
	Error    string
	Next     string
}

// whyView is a failure as the "why" template shows it: the explanation, and the technical text folded.
type whyView struct {
	E             explanation
	T             map[string]string
	Stage, Reason string
}

// perms names the permissions templates ask about with Can.
var perms = map[string]permission{"monitor": permMonitor, "package": permPackage, "retry": permRetry, "audit": permAudit, "view": permView, "review": permReview}

// Can reports whether the logged-in caller holds the permission named perm,
// so that a page shows no link its reader cannot open.
func (p page) Can(perm string) bool {
	pm, ok := perms[perm]
	return ok && p.Who != nil && allowed(p.Who.Role, pm)
}

// lang picks the dashboard language: ?lang=, then the lang cookie, else Vietnamese.
func lang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "vi" || l == "en" {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie("lang"); err == nil && c.Value == "en" {
		return "en"
	}
	return "vi"
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, status int, p page) {
	p.Lang = lang(w, r)
	p.T = labels[p.Lang]
	p.Fragment = r.URL.Query().Get("fragment") == "1"
	tmpl := "layout.html"
	if p.Fragment {
		tmpl = "live"
	}
	var buf bytes.Buffer
	if err := s.views.pages[name].ExecuteTemplate(&buf, tmpl, p); err != nil {
		s.log.Error("dashboard template", "page", name, "error", err)
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "login", http.StatusOK, page{Next: safeNext(r.URL.Query().Get("next"))})
}

// safeNext keeps a redirect target on this site: a path, parsed as a URL,
// with no scheme, no host and no control characters (which browsers drop, so
// that "/<TAB>/evil.example" would become "//evil.example"); else "/".
func safeNext(n string) string {
	if strings.ContainsFunc(n, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "/"
	}
	u, err := url.Parse(n)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(n, "/") || strings.HasPrefix(n, "//") {
		return "/"
	}
	return n
}

// listPageSize is how many batches a page of the dashboard's list shows by default.
const listPageSize = 25

// searchLimit is how many of the latest batches a search or a state filter looks through.
const searchLimit = 1000

// listView is the batch list page's data.
type listView struct {
	Batches            []*BatchSummary
	Query, State       string
	States             []string
	Page, Pages, Total int
	Prev, Next         string // links to the neighbouring pages, if any
	Self               string // this view's query, for the live refresh ("" or "...&")
}

// listPage shows the batches, newest first: ?q= searches batch ids, mã hồ
// sơ, mã tài liệu, số/ký hiệu and trích yếu; ?state= keeps one state; ?page=
// turns the pages of listPageSize.
func (s *Server) listPage(w http.ResponseWriter, r *http.Request, who *principal) {
	qv := r.URL.Query()
	v := listView{Query: strings.TrimSpace(qv.Get("q")), State: qv.Get("state"), Page: 1,
		States: []string{state.BatchUploading.String(), queue.StateQueued.String(), state.BatchReview.String(), state.BatchRejected.String(), state.BatchApproved.String(),
			queue.StateCopying.String(), queue.StateComplete.String(), queue.StateIncomplete.String(), queue.StateFailed.String()}}
	if !slices.Contains(v.States, v.State) {
		v.State = ""
	}
	if p, err := strconv.Atoi(qv.Get("page")); err == nil && p > 1 {
		v.Page = p
	}
	n := listLimit
	if v.Query != "" || v.State != "" {
		n = searchLimit
	}
	list, err := s.recent(r.Context(), n)
	if err != nil {
		s.log.Error("dashboard list", "error", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var kept []*BatchSummary
	for _, b := range list {
		if v.State != "" && b.State.String() != v.State {
			continue
		}
		if v.Query != "" {
			ok, err := s.matches(r.Context(), b.ID, v.Query)
			if err != nil {
				s.log.Error("dashboard search", "batch", b.ID, "error", err)
				http.Error(w, "search failed", http.StatusInternalServerError)
				return
			}
			if !ok {
				continue
			}
		}
		kept = append(kept, b)
	}
	v.Total = len(kept)
	size := s.cfg.ListPageSize
	v.Pages = max(1, (v.Total+size-1)/size)
	v.Page = min(v.Page, v.Pages)
	v.Batches = kept[(v.Page-1)*size : min(v.Page*size, v.Total)]
	link := func(p int) string {
		u := url.Values{}
		if v.Query != "" {
			u.Set("q", v.Query)
		}
		if v.State != "" {
			u.Set("state", v.State)
		}
		if p > 1 {
			u.Set("page", strconv.Itoa(p))
		}
		return u.Encode()
	}
	if v.Page > 1 {
		v.Prev = "/?" + link(v.Page-1)
	}
	if v.Page < v.Pages {
		v.Next = "/?" + link(v.Page+1)
	}
	if q := link(v.Page); q != "" {
		v.Self = q + "&"
	}
	s.render(w, r, "list", http.StatusOK, page{Who: who, Data: v})
}

// matches reports whether batch id's id, or one of its hồ sơ (mã hồ sơ,
// title) or documents (mã tài liệu, số/ký hiệu, trích yếu) holds query,
// ignoring case. Secret documents are searched as the dashboard shows them (masked).
func (s *Server) matches(ctx context.Context, id, query string) (bool, error) {
	q := strings.ToLower(query)
	has := func(v string) bool { return v != "" && strings.Contains(strings.ToLower(v), q) }
	if has(id) {
		return true, nil
	}
	d, _, err := s.detailMasked(ctx, id)
	if err != nil {
		return false, err
	}
	for _, f := range d.Files {
		if has(f.Code) || has(f.Title) {
			return true, nil
		}
		for _, doc := range f.Documents {
			if has(doc.Code) || has(doc.Number) || has(doc.Title) {
				return true, nil
			}
		}
	}
	return false, nil
}

// detailView is the batch detail page's data.
type detailView struct {
	Summary  *BatchSummary
	Detail   *queue.BatchDetail
	CanRetry bool
	Secret   bool          // the batch holds secret material: no package link
	Failures []failedPage  // the failed pages, listed at the top
	Audit    []audit.Entry // the batch's audit trail, oldest first
}

// failedPage is a failed page with its document, for the failure list.
type failedPage struct {
	Doc  int
	Code string
	Page *queue.PageDetail
}

func (s *Server) detailPage(w http.ResponseWriter, r *http.Request, who *principal) {
	id := r.PathValue("id")
	d, err := s.detail(r.Context(), id)
	if err != nil {
		code, _ := errStatus(err)
		http.Error(w, err.Error(), code)
		return
	}
	sum, err := s.summary(r.Context(), id)
	if err != nil {
		code, _ := errStatus(err)
		http.Error(w, err.Error(), code)
		return
	}
	v := detailView{Summary: sum, Detail: d, CanRetry: allowed(who.Role, permRetry) && sum.BatchStatus.Finished(), Secret: hasSecret(d)}
	for _, f := range d.Files {
		for _, doc := range f.Documents {
			for _, pg := range doc.Pages {
				if pg.State == queue.PageFailed {
					v.Failures = append(v.Failures, failedPage{Doc: doc.Doc, Code: doc.Code, Page: pg})
				}
			}
		}
	}
	if r.URL.Query().Get("fragment") != "1" { // the trail is not part of the live refresh
		if v.Audit, err = s.audit.Batch(r.Context(), id); err != nil {
			s.log.Error("dashboard: audit trail", "batch", id, "error", err)
			http.Error(w, "audit trail unavailable", http.StatusInternalServerError)
			return
		}
	}
	s.render(w, r, "detail", http.StatusOK, page{Who: who, Data: v, Error: r.URL.Query().Get("error")})
}

func (s *Server) retryForm(w http.ResponseWriter, r *http.Request, who *principal) {
	id := r.PathValue("id")
	var docs []int
	if d := r.PostFormValue("doc"); d != "" {
		var n int
		if _, err := fmt.Sscan(d, &n); err == nil {
			docs = []int{n}
		}
	}
	back := "/batches/" + url.PathEscape(id)
	before := s.stateOf(r.Context(), id)
	res, err := s.q.Retry(r.Context(), id, docNumbers(docs), actor(r, who))
	if err != nil {
		s.log.Warn("dashboard retry", "batch", id, "error", err)
		http.Redirect(w, r, back+"?error="+url.QueryEscape(err.Error()), http.StatusSeeOther)
		return
	}
	s.forget(id)
	s.log.Info("batch retried", "batch", id, "by", who.Name, "pages", res.Pages)
	s.recordRetry(r, who, id, before, res)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

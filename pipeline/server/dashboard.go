package server

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/queue"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticRoot embed.FS

// staticFS serves /static/...: the script and style sheet of the dashboard.
var staticFS fs.FS = staticRoot

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
			return t.Local().Format("15:04:05 02/01/2006")
		},
		"f1":  func(x float64) string { return fmt.Sprintf("%.1f", x) },
		"esc": url.PathEscape,
	}
	for _, name := range []string{"list", "detail", "login"} {
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

func (s *Server) listPage(w http.ResponseWriter, r *http.Request, who *principal) {
	list, err := s.summaries(r.Context(), r)
	if err != nil {
		s.log.Error("dashboard list", "error", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.render(w, r, "list", http.StatusOK, page{Who: who, Data: list})
}

// detailView is the batch detail page's data.
type detailView struct {
	Summary  *BatchSummary
	Detail   *queue.BatchDetail
	CanRetry bool
	Secret   bool         // the batch holds secret material: no package link
	Failures []failedPage // the failed pages, listed at the top
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
	res, err := s.q.Retry(r.Context(), id, docNumbers(docs))
	if err != nil {
		s.log.Warn("dashboard retry", "batch", id, "error", err)
		http.Redirect(w, r, back+"?error="+url.QueryEscape(err.Error()), http.StatusSeeOther)
		return
	}
	s.forget(id)
	s.log.Info("batch retried", "batch", id, "by", who.Name, "pages", res.Pages)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

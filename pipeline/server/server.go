// Package server is the HTTP side of sohoa ("sohoa serve"): a dashboard for
// archive staff, a JSON API for scanning stations and handover officers, the
// asynq queue monitor, Prometheus metrics and health checks, all on one
// net/http handler.
//
// Every route but /healthz and /readyz needs a role, from an API token
// (configs.Token) or a user account (package pipeline/accounts): station
// uploads, staff view and retry, officer view and download packages, admin
// does everything. API clients send a token as "Authorization: Bearer ...";
// people log in at the dashboard's login page with a user name and password
// (or a token), which starts a session: its random id goes into a Secure,
// HttpOnly, SameSite=Strict cookie.
//
// Page and stage metrics come from the workers through Redis (package
// pipeline/metrics), so the server's /metrics covers every worker.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/hibiken/asynq"
	asynqmetrics "github.com/hibiken/asynq/x/metrics"
	"github.com/hibiken/asynqmon"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/accounts"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/metrics"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
)

// Config configures a Server.
type Config struct {
	Queue  *queue.Queue
	Tokens []configs.Token
	// RedisConnOpt is the queue's Redis, for the asynq monitor.
	RedisConnOpt asynq.RedisConnOpt
	// Load are the options uploads are validated and submitted with, as "sohoa submit" does.
	Load pipeline.LoadOptions
	// MaxUpload is the largest upload body accepted, in bytes.
	MaxUpload int64
	// SecureCookie marks the login cookie Secure.
	SecureCookie bool
	// TempDir is where uploads are unpacked while they are checked; default os.TempDir().
	TempDir string
	// Limits bound request bodies and concurrent uploads; zero fields take DefaultLimits.
	Limits Limits
	Logger *slog.Logger // default slog.Default()
	// Accounts configures user logins and sessions (clock, session lifetime, rate limits).
	Accounts accounts.Options
	// ListPageSize is how many batches a page of the dashboard's list shows; default 25.
	ListPageSize int

	uploadStarted func() // tests: called once an upload holds its slot
}

// Server serves the dashboard, the API, the monitor, metrics and health checks.
type Server struct {
	cfg    Config
	q      *queue.Queue
	log    *slog.Logger
	tokens map[string]configs.Token // by SHA-256
	acct   *accounts.Store
	audit  *audit.Log
	// workers counts the queue workers alive; paces measures each batch's recent pace.
	workers workerCount
	paces   paces
	mux     *http.ServeMux
	reg     *prometheus.Registry
	// httpDur times the server's own requests, by handler, method and status.
	httpDur *prometheus.HistogramVec
	views   *views
	limits  Limits
	uploads slots

	monitors []*asynqmon.HTTPHandler

	caches caches
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.TempDir == "" {
		cfg.TempDir = os.TempDir()
	}
	if cfg.ListPageSize <= 0 {
		cfg.ListPageSize = listPageSize
	}
	s := &Server{cfg: cfg, q: cfg.Queue, log: cfg.Logger, tokens: map[string]configs.Token{}, mux: http.NewServeMux(), limits: cfg.Limits.withDefaults(), caches: newCaches()}
	for _, t := range cfg.Tokens {
		s.tokens[t.SHA256] = t
	}
	var err error
	if s.acct, err = accounts.New(s.q.Redis(), cfg.Accounts); err != nil {
		return nil, err
	}
	s.audit = audit.New(s.q.Redis(), s.q.Archive(), cfg.Accounts.Now)
	s.workers.insp = asynq.NewInspectorFromRedisClient(s.q.Redis())
	if s.views, err = newViews(); err != nil {
		return nil, err
	}
	s.reg = prometheus.NewRegistry()
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		metrics.NewCollector(s.q.Redis(), s.q.States, s.log),
		asynqmetrics.NewQueueMetricsCollector(asynq.NewInspectorFromRedisClient(s.q.Redis())))
	s.httpDur = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "sohoa_http_request_duration_seconds",
		Help: "Time to serve a request of sohoa serve, by handler.", Buckets: []float64{.001, .005, .01, .05, .1, .25, .5, 1, 5, 30}},
		[]string{"handler", "method", "code"})
	s.reg.MustRegister(s.httpDur)
	s.routes()
	return s, nil
}

// Close releases the monitor's Redis connections; the Queue is the caller's to close.
func (s *Server) Close() error {
	var errs []error
	for _, m := range s.monitors {
		errs = append(errs, m.Close())
	}
	return errors.Join(errs...)
}

// Handler returns the server's HTTP handler. Request bodies are read under
// the deadlines of Config.Limits.
func (s *Server) Handler() http.Handler { return s.limitBodies(s.mux) }

func (s *Server) routes() {
	s.handle("GET /healthz", "healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.handle("GET /readyz", "readyz", s.readyz)
	metrics := promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})
	s.handle("GET /metrics", "metrics", s.require(permMetrics, false, func(w http.ResponseWriter, r *http.Request, _ *principal) {
		metrics.ServeHTTP(w, r)
	}))

	s.handle("POST /api/v1/batches", "api_upload", s.require(permUpload, false, s.apiUpload))
	s.handle("GET /api/v1/batches", "api_list", s.require(permStatus, false, s.apiList))
	s.handle("GET /api/v1/batches/{id}", "api_detail", s.require(permStatus, false, s.apiDetail))
	s.handle("POST /api/v1/batches/{id}/replace", "api_replace", s.require(permUpload, false, s.apiReplace))
	s.handle("POST /api/v1/batches/{id}/retry", "api_retry", s.require(permRetry, false, s.apiRetry))
	s.handle("GET /api/v1/batches/{id}/package", "api_package", s.require(permPackage, false, s.apiPackage))
	s.handle("GET /api/v1/batches/{id}/audit", "api_audit", s.require(permStatus, false, s.apiAudit))
	s.handle("GET /api/v1/batches/{id}/review", "api_review", s.require(permReview, false, s.apiReview))
	s.handle("POST /api/v1/batches/{id}/documents/{doc}/accept", "api_accept", s.require(permReview, false, s.apiAccept))
	s.handle("POST /api/v1/batches/{id}/documents/{doc}/fields", "api_correct", s.require(permReview, false, s.apiCorrect))
	s.handle("POST /api/v1/batches/{id}/documents/{doc}/reject", "api_reject", s.require(permReview, false, s.apiReject))
	s.handle("POST /api/v1/batches/{id}/approve", "api_approve", s.require(permReview, false, s.apiApprove))
	s.handle("GET /api/v1/audit", "api_audit_system", s.require(permAudit, false, s.apiSystemAudit))
	s.handle("GET /api/v1/batches/{id}/documents/{doc}/pdf", "api_pdf", s.require(permView, false, s.apiPDF))
	s.handle("GET /api/v1/batches/{id}/documents/{doc}/pages/{page}/thumbnail", "api_thumbnail", s.require(permView, false, s.apiThumbnail))
	s.handle("GET /api/v1/batches/{id}/documents/{doc}/pages/{page}/image", "api_page_image", s.require(permView, false, s.apiPageImage))

	s.handle("GET /login", "login", s.loginPage)
	s.handle("POST /login", "login", s.login)
	s.handle("POST /logout", "logout", s.logout)
	s.handle("GET /{$}", "dashboard_list", s.require(permView, true, s.listPage))
	s.handle("GET /batches/{id}", "dashboard_detail", s.require(permView, true, s.detailPage))
	s.handle("POST /batches/{id}/retry", "dashboard_retry", s.require(permRetry, true, s.retryForm))
	s.handle("GET /batches/{id}/review", "dashboard_review", s.require(permReview, true, s.reviewListPage))
	s.handle("POST /batches/{id}/approve", "dashboard_approve", s.require(permReview, true, s.approveForm))
	s.handle("GET /batches/{id}/documents/{doc}/review", "dashboard_review_doc", s.require(permReview, true, s.reviewDocPage))
	s.handle("POST /batches/{id}/documents/{doc}/accept", "dashboard_accept", s.require(permReview, true, s.reviewAction(s.acceptForm)))
	s.handle("POST /batches/{id}/documents/{doc}/fields", "dashboard_correct", s.require(permReview, true, s.reviewAction(s.correctForm)))
	s.handle("POST /batches/{id}/documents/{doc}/reject", "dashboard_reject", s.require(permReview, true, s.reviewAction(s.rejectForm)))
	s.handle("POST /batches/{id}/documents/{doc}/pages/{page}/replace", "dashboard_replace_page", s.require(permReview, true, s.replaceForm))
	s.handle("GET /static/", "static", http.FileServerFS(staticFS).ServeHTTP)

	// The queue monitor: read-only for staff, full for admins.
	ro := asynqmon.New(asynqmon.Options{RootPath: "/monitor", RedisConnOpt: s.cfg.RedisConnOpt, ReadOnly: true})
	rw := asynqmon.New(asynqmon.Options{RootPath: "/monitor", RedisConnOpt: s.cfg.RedisConnOpt})
	s.monitors = append(s.monitors, ro, rw)
	s.handle("/monitor/", "monitor", s.require(permMonitor, true, func(w http.ResponseWriter, r *http.Request, who *principal) {
		if who.Role == configs.RoleAdmin {
			rw.ServeHTTP(w, r)
			return
		}
		ro.ServeHTTP(w, r)
	}))
}

// handle routes pattern to h, timing its requests in sohoa_http_request_duration_seconds{handler=name}.
func (s *Server) handle(pattern, name string, h http.HandlerFunc) {
	s.mux.Handle(pattern, promhttp.InstrumentHandlerDuration(s.httpDur.MustCurryWith(prometheus.Labels{"handler": name}), h))
}

// readyz reports whether Redis and the S3 buckets answer. It needs no token,
// so it says only "ok" or "unavailable"; addresses, bucket names and errors go
// to the log.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{"redis": "ok", "s3": "ok"}
	code := http.StatusOK
	if err := s.q.Redis().Ping(ctx).Err(); err != nil {
		s.log.Error("readyz: redis unavailable", "error", err)
		checks["redis"], code = "unavailable", http.StatusServiceUnavailable
	}
	if err := s.q.Ping(ctx); err != nil {
		s.log.Error("readyz: s3 unavailable", "error", err)
		checks["s3"], code = "unavailable", http.StatusServiceUnavailable
	}
	writeJSON(w, code, checks)
}

// apiError is the body of every error response.
type apiError struct {
	Code     string             `json:"error"`   // machine-readable
	Message  string             `json:"message"` // for people
	Problems []pipeline.Problem `json:"problems,omitempty"`
	Detail   string             `json:"detail,omitempty"` // the technical text, when Message is a sentence for people
}

func writeError(w http.ResponseWriter, status int, code, msg string, problems []pipeline.Problem) {
	writeJSON(w, status, apiError{Code: code, Message: msg, Problems: problems})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// errStatus maps a queue error to an HTTP status and error code.
func errStatus(err error) (int, string) {
	switch {
	case errors.Is(err, queue.ErrUnknownBatch):
		return http.StatusNotFound, "not_found"
	case errors.Is(err, queue.ErrRunning):
		return http.StatusConflict, "running"
	case errors.Is(err, queue.ErrUnknownDocument):
		return http.StatusBadRequest, "not_retryable"
	case errors.Is(err, queue.ErrSealed):
		return http.StatusConflict, "sealed"
	case errors.Is(err, queue.ErrNotReviewable):
		return http.StatusConflict, "not_reviewable"
	case errors.Is(err, queue.ErrSampleNotAccepted):
		return http.StatusConflict, "sample_not_accepted"
	case errors.Is(err, queue.ErrInvalidField):
		return http.StatusUnprocessableEntity, "invalid_field"
	}
	return http.StatusInternalServerError, "internal"
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
	"github.com/sohoa-vn/sohoa/pipeline/server"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", "[flags]",
		"Serves the dashboard for archive staff (/), the JSON API (/api/v1/), the queue monitor (/monitor/),\n"+
			"Prometheus metrics (/metrics) and health checks (/healthz, /readyz) on one HTTP server, until\n"+
			"SIGTERM or SIGINT, then finishes the requests in progress. Everything but the health checks needs\n"+
			"an API token from the configuration (sohoa token create) or a user login (sohoa user add).", stderr)
	config := configFlag(fs)
	addr := fs.String("addr", "", "host:port to listen on (default: server.addr of the configuration)")
	_, cfg, code, ok := parseConfigured(fs, config, args, 0, 0, stderr)
	if !ok {
		return code
	}
	if *addr != "" {
		cfg.Server.Addr = *addr
	}
	log := newLogger(stderr)
	if len(cfg.Server.Tokens) == 0 {
		log.Warn("no API tokens configured: only /healthz and /readyz can be used (sohoa token create --role admin)")
	}
	// The server loads batches (to show their structure) into its own cache
	// folder, apart from a worker's on the same machine.
	q, err := openQueue(ctx, cfg, func(o *queue.Options) { o.CacheDir = filepath.Join(os.TempDir(), "sohoa-serve") })
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	defer q.Close()
	connOpt, err := asynq.ParseRedisURI(cfg.Redis.URL)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa: redis url:", err)
		return exitUsage
	}
	srv, err := server.New(server.Config{Queue: q, Tokens: cfg.Server.Tokens, RedisConnOpt: connOpt,
		Load: pipeline.LoadOptions{DPI: cfg.Scan.DPI, Isolated: cfg.Isolated, RequireColour: cfg.Scan.RequireColour}, MaxUpload: int64(cfg.Server.MaxUploadMB) << 20,
		SecureCookie: cfg.Server.SecureCookie, Logger: log})
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) }}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	log.Info("serving", "addr", ln.Addr().String())
	fmt.Fprintf(stdout, "http://%s/\n", ln.Addr())
	select {
	case err := <-done:
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		fmt.Fprintln(stderr, "sohoa: shutdown:", err)
		return exitFailed
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	log.Info("server stopped")
	return exitOK
}

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("token", "create --role ROLE [--name NAME]",
		"Prints a new API token on the first line and, on the second, the entry to add under server.tokens\n"+
			"in the configuration: only the token's SHA-256 is stored. Roles: station (upload batches),\n"+
			"staff (view, retry), officer (view, download packages), admin (everything).", stderr)
	role := fs.String("role", "", "station, staff, officer or admin")
	name := fs.String("name", "", "who holds the token, for the logs (default: the role)")
	pos, code, ok := parseArgs(fs, args, 1, 1)
	if !ok {
		return code
	}
	if pos[0] != "create" {
		fs.Usage()
		return exitUsage
	}
	switch *role {
	case configs.RoleStation, configs.RoleStaff, configs.RoleOfficer, configs.RoleAdmin, configs.RoleReviewer:
	default:
		fmt.Fprintf(stderr, "sohoa: --role %q: must be station, staff, officer, reviewer or admin\n", *role)
		return exitUsage
	}
	if *name == "" {
		*name = *role
	}
	tok, sum, err := server.NewToken()
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	fmt.Fprintln(stdout, tok)
	fmt.Fprintf(stdout, "    - {name: %q, role: %s, sha256: %s}\n", *name, *role, sum)
	fmt.Fprintln(stderr, "Keep the token secret; add the second line under server.tokens in the configuration.")
	return exitOK
}

package server

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
)

// record appends e to the audit trail with who made the request r (nil for
// a login attempt, whose e.Who is set). A failure to record is logged: the
// action has happened.
func (s *Server) record(ctx context.Context, r *http.Request, who *principal, e audit.Entry) {
	if who != nil {
		e.Who, e.Role = who.Name, who.Role
	}
	if r != nil {
		e.Addr = clientAddr(r)
	}
	if _, err := s.audit.Append(ctx, e); err != nil {
		s.log.Error("audit", "action", e.Action, "batch", e.Batch, "error", err)
	}
}

// stateOf describes batch id's state for an audit entry's before or after:
// the state, and the failed documents with their reasons.
func (s *Server) stateOf(ctx context.Context, id string) string {
	st, err := s.q.Status(ctx, id)
	if err != nil {
		return "unknown: " + err.Error()
	}
	if len(st.Failures) == 0 {
		return st.State.String()
	}
	var b strings.Builder
	b.WriteString(st.State.String())
	b.WriteString(";")
	for _, n := range slices.Sorted(maps.Keys(st.Failures)) {
		fmt.Fprintf(&b, " document %d failed: %s;", n, st.Failures[n])
	}
	return strings.TrimSuffix(b.String(), ";")
}

// apiAudit returns batch {id}'s audit trail, oldest first.
func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request, who *principal) {
	id := r.PathValue("id")
	if ok, err := s.maySee(r.Context(), who, id); err != nil {
		s.fail(w, err)
		return
	} else if !ok {
		notVisible(w, id)
		return
	}
	if _, err := s.q.Status(r.Context(), id); err != nil {
		s.fail(w, err)
		return
	}
	es, err := s.audit.Batch(r.Context(), id)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"batchId": id, "entries": es})
}

// apiSystemAudit returns the last entries of no batch (logins), newest first: ?n=, default 200, at most 1000.
func (s *Server) apiSystemAudit(w http.ResponseWriter, r *http.Request, _ *principal) {
	n := int64(200)
	if v := r.URL.Query().Get("n"); v != "" {
		if _, err := fmt.Sscan(v, &n); err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, "malformed", "n: 1 to 1000", nil)
			return
		}
	}
	es, err := s.audit.System(r.Context(), n)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": es})
}

// docList describes document numbers for an audit entry.
func docList(docs []int) string {
	if len(docs) == 0 {
		return ""
	}
	return "documents " + strings.Trim(fmt.Sprint(docs), "[]")
}

// recordRetry records a retry of batch id, whose state was before.
func (s *Server) recordRetry(r *http.Request, who *principal, id, before string, res *queue.RetryResult) {
	what := docList(res.Documents)
	if res.Batch {
		what = strings.TrimPrefix(what+", batch task", ", ")
	}
	if res.Package {
		what = strings.TrimPrefix(what+", package task", ", ")
	}
	s.record(r.Context(), r, who, audit.Entry{Action: audit.Retry, Batch: id, What: what, Before: before,
		After: s.stateOf(r.Context(), id), Detail: fmt.Sprintf("%d pages re-run", res.Pages)})
}

// newSums lists the SHA-256 of the replaced files of b, as uploaded.
func newSums(b *pipeline.Batch, files []string) string {
	var out []string
	for _, f := range files {
		sum, _, err := bag.HashFile(filepath.Join(b.Dir, filepath.FromSlash(f)))
		if err != nil {
			sum = "unreadable: " + err.Error()
		}
		out = append(out, f+" "+sum)
	}
	return strings.Join(out, ", ")
}

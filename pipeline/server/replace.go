package server

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
)

// apiReplace takes a corrected batch folder, uploaded as for apiUpload, for
// the submitted batch {id}: the page files that differ are stored as new
// versions (the earlier ones kept) and only their documents are re-run, as
// "sohoa submit --replace" does. 409 when the batch's package is complete
// and sealed, when its tasks run, or when the upload is another batch
// (other files, documents or pages); nothing is stored then.
func (s *Server) apiReplace(w http.ResponseWriter, r *http.Request, who *principal) {
	id := r.PathValue("id")
	b, lo, tmp, ok := s.receiveBatch(w, r, who)
	if !ok {
		return
	}
	defer os.RemoveAll(tmp)
	if b.ID != id {
		writeError(w, http.StatusConflict, "conflict", fmt.Sprintf("the upload is batch %q, not %q", b.ID, id), nil)
		return
	}
	before := s.stateOf(r.Context(), id)
	res, err := s.q.Replace(r.Context(), b, lo, actor(r, who))
	switch {
	case errors.Is(err, queue.ErrUnknownBatch):
		writeError(w, http.StatusNotFound, "not_found", err.Error(), nil)
		return
	case errors.Is(err, queue.ErrSealed):
		writeError(w, http.StatusConflict, "sealed", err.Error(), nil)
		return
	case errors.Is(err, queue.ErrRunning):
		writeError(w, http.StatusConflict, "running", err.Error(), nil)
		return
	case errors.Is(err, queue.ErrConflict):
		writeError(w, http.StatusConflict, "conflict", err.Error(), nil)
		return
	case err != nil:
		s.log.Error("replace", "batch", id, "error", err)
		writeError(w, http.StatusBadGateway, "replace_failed", err.Error(), nil)
		return
	}
	s.forget(id)
	s.log.Info("originals replaced", "batch", id, "by", who.Name, "files", res.Files)
	s.record(r.Context(), r, who, audit.Entry{Action: audit.Replace, Batch: id, What: strings.Join(res.Files, ", "),
		Before: before, After: s.stateOf(r.Context(), id), Detail: fmt.Sprintf("%s; %d pages re-run; new SHA-256: %s", docList(res.Document), res.Pages, newSums(b, res.Files))})
	docs := res.Document
	if docs == nil {
		docs = []int{}
	}
	files := res.Files
	if files == nil {
		files = []string{}
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"batchId": id, "replaced": files, "pages": res.Pages, "documents": docs})
}

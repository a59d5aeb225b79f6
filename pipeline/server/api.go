package server

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/catalogue"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
	"github.com/sohoa-vn/sohoa/pipeline/state"
	"github.com/sohoa-vn/sohoa/storage"
)

// errUpload is a malformed upload: the client's fault (400).
var errUpload = errors.New("malformed upload")

// apiUpload takes a batch as a tar stream (Content-Type application/x-tar) or
// as a multipart form whose file parts are named by their path in the batch
// folder, validates it exactly as "sohoa submit" does and submits it.
// Nothing is uploaded or enqueued unless the whole batch is valid.
func (s *Server) apiUpload(w http.ResponseWriter, r *http.Request, who *principal) {
	b, lo, tmp, ok := s.receiveBatch(w, r, who)
	if !ok {
		return
	}
	defer os.RemoveAll(tmp)
	res, err := s.q.Submit(r.Context(), b, lo, nil)
	if errors.Is(err, queue.ErrConflict) || errors.Is(err, storage.ErrExists) || errors.Is(err, storage.ErrChecksum) {
		writeError(w, http.StatusConflict, "conflict", "a different batch with this id was uploaded before: "+err.Error(), nil)
		return
	}
	if err != nil {
		s.log.Error("upload: submit", "batch", b.ID, "error", err)
		writeError(w, http.StatusBadGateway, "submit_failed", err.Error(), nil)
		return
	}
	if err := s.q.SetUploader(r.Context(), b.ID, who.Name); err != nil {
		s.log.Error("upload: recording the uploader", "batch", b.ID, "error", err)
	}
	s.log.Info("batch uploaded", "batch", b.ID, "by", who.Name, "files", res.Files, "enqueued", res.Enqueued)
	s.record(r.Context(), r, who, audit.Entry{Action: audit.Submit, Batch: b.ID, After: queue.StateQueued.String(),
		What: fmt.Sprintf("%d documents, %d pages, %d files", b.Documents(), b.Pages(), res.Files)})
	writeJSON(w, http.StatusAccepted, map[string]any{"batchId": res.BatchID, "files": res.Files, "uploaded": res.Uploaded,
		"enqueued": res.Enqueued, "documents": b.Documents(), "pages": b.Pages()})
}

// receiveBatch unpacks and validates the batch uploaded in r's body (see
// apiUpload) into a temporary folder tmp, which the caller removes. When it
// returns false it has answered the request.
func (s *Server) receiveBatch(w http.ResponseWriter, r *http.Request, who *principal) (b *pipeline.Batch, lo pipeline.LoadOptions, tmp string, ok bool) {
	if r.ContentLength > s.cfg.MaxUpload {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("upload of %d bytes exceeds the limit of %d bytes", r.ContentLength, s.cfg.MaxUpload), nil)
		return
	}
	release, slot, why := s.acquireUpload(who.Name)
	if !slot {
		s.log.Warn("upload refused: too many at once", "by", who.Name, "why", why)
		writeBusy(w, why)
		return
	}
	defer release()
	if s.cfg.uploadStarted != nil {
		s.cfg.uploadStarted()
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload)
	tmp, err := os.MkdirTemp(s.cfg.TempDir, "sohoa-upload-*")
	if err != nil {
		s.log.Error("upload: temporary folder", "error", err)
		writeError(w, http.StatusInternalServerError, "internal", "the server cannot unpack uploads now; see its log", nil)
		return
	}
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	root := filepath.Join(tmp, "batch")
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/x-tar", "application/tar":
		err = untar(r.Body, root)
	case "multipart/form-data":
		err = unpackMultipart(multipart.NewReader(r.Body, params["boundary"]), root)
	default:
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "send the batch as application/x-tar or multipart/form-data", nil)
		return
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("upload exceeds the limit of %d bytes", s.cfg.MaxUpload), nil)
		return
	case errors.Is(err, errSlowBody):
		s.log.Warn("upload: body too slow", "by", who.Name, "error", err)
		writeError(w, http.StatusRequestTimeout, "too_slow", err.Error(), nil)
		return
	case errors.Is(err, errUpload):
		writeError(w, http.StatusBadRequest, "malformed", err.Error(), nil)
		return
	case err != nil: // the server's fault: the details (paths) stay in the log
		s.log.Error("upload: unpacking", "by", who.Name, "error", err)
		writeError(w, http.StatusInternalServerError, "internal", "the server could not unpack the upload; see its log", nil)
		return
	}
	lo = s.cfg.Load
	if l := r.URL.Query().Get("lang"); l == "en" || l == "vi" { // language of catalogue problems
		lo.Lang = l
	}
	if v := r.URL.Query().Get("dpi"); v != "" { // as submit --dpi
		if lo.DPI, err = pipeline.ParseGivenDPI(v); err != nil {
			writeError(w, http.StatusBadRequest, "malformed", "?"+err.Error(), nil)
			return
		}
	}
	dir := batchRoot(root)
	if dir == root && !hasID(root) {
		writeError(w, http.StatusUnprocessableEntity, "invalid_batch", "the batch has no id", []pipeline.Problem{{File: pipeline.MetadataFile,
			Field: "id", What: "upload the batch folder itself (BATCH_ID/...) or give batch.json an id"}})
		return
	}
	b, err = pipeline.Load(r.Context(), dir, lo)
	var ve *pipeline.ValidationError
	if errors.As(err, &ve) {
		writeError(w, http.StatusUnprocessableEntity, "invalid_batch", fmt.Sprintf("the batch has %d problem(s)", len(ve.Problems)), ve.Problems)
		return
	} else if err != nil {
		writeError(w, http.StatusBadRequest, "not_a_batch", err.Error(), nil)
		return
	}
	if b.Pages() == 0 {
		writeError(w, http.StatusUnprocessableEntity, "invalid_batch", "the batch has no pages", nil)
		return
	}
	return b, lo, tmp, true
}

// batchRoot returns the folder holding the batch: root, or its only entry when
// that is a folder (an upload of "BATCH/...").
func batchRoot(root string) string {
	es, err := os.ReadDir(root)
	if err == nil && len(es) == 1 && es[0].IsDir() {
		if _, err := os.Stat(filepath.Join(root, pipeline.MetadataFile)); err != nil && len(catalogue.Find(root)) == 0 {
			return filepath.Join(root, es[0].Name())
		}
	}
	return root
}

// hasID reports whether the batch.json in dir, or its catalogue (sheet Lô), names the batch.
func hasID(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, pipeline.MetadataFile))
	if names := catalogue.Find(dir); err != nil && len(names) > 0 {
		cat, cerr := catalogue.Read(dir, names[0])
		if cerr != nil {
			return false
		}
		data, err = cat.JSON, nil
	}
	if err != nil {
		return false
	}
	text, p := pipeline.DecodeUTF8(pipeline.MetadataFile, data)
	if p != nil {
		return true // Load names the file and the byte that is not UTF-8
	}
	var sh struct {
		ID string `json:"id"`
	}
	return json.Unmarshal(text, &sh) == nil && sh.ID != ""
}

// localPath checks an uploaded file name and returns it as a path under root.
func localPath(root, name string) (string, error) {
	slash := strings.ReplaceAll(name, "\\", "/")
	for _, seg := range strings.Split(slash, "/") {
		if seg == ".." {
			return "", fmt.Errorf("%w: bad file name %q: it leaves the batch folder", errUpload, name)
		}
	}
	slash = strings.TrimPrefix(path.Clean("/"+slash), "/")
	if slash == "" || slash == "." || !filepath.IsLocal(filepath.FromSlash(slash)) {
		return "", fmt.Errorf("%w: bad file name %s", errUpload, display(name))
	}
	if err := checkName(slash, name); err != nil {
		return "", err
	}
	name = slash
	return filepath.Join(root, filepath.FromSlash(name)), nil
}

func writeFile(dst string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%w: %s sent twice", errUpload, filepath.Base(dst))
		}
		return err
	}
	src := &sourceReader{r: r}
	_, err = io.Copy(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if src.err == nil {
		return err
	}
	return clientError(src.err, filepath.Base(dst)) // the upload ended early or is corrupt
}

// clientError marks an error reading the upload as the client's fault
// (errUpload, with what), except a body over the limit or too slow, which stays itself.
func clientError(err error, what string) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || errors.Is(err, errSlowBody) {
		return err
	}
	return fmt.Errorf("%w: %s: %v", errUpload, what, err)
}

// sourceReader remembers a read error, to tell the client's faults from the server's.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

func untar(r io.Reader, root string) error {
	tr := tar.NewReader(r)
	ents := newEntries()
	n := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return clientError(err, "not a tar stream")
		}
		switch h.Typeflag {
		case tar.TypeDir, tar.TypeReg:
		default:
			return fmt.Errorf("%w: %s: only files and folders are accepted", errUpload, display(h.Name))
		}
		if sparse(h) {
			return fmt.Errorf("%w: %s: sparse files are not accepted", errUpload, display(h.Name))
		}
		dst, err := ents.path(root, h.Name, h.Typeflag == tar.TypeDir)
		if err != nil {
			return err
		}
		if h.Typeflag == tar.TypeDir {
			continue
		}
		if err := writeFile(dst, tr); err != nil {
			return fsClientError(err, h.Name)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("%w: the tar stream holds no files", errUpload)
	}
	return nil
}

func unpackMultipart(mr *multipart.Reader, root string) error {
	ents := newEntries()
	n := 0
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return clientError(err, "not a multipart form")
		}
		// Part.FileName drops the folders; the batch's structure is in them.
		_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		name := params["filename"]
		if err != nil || name == "" {
			p.Close()
			continue // not a file
		}
		dst, err := ents.path(root, name, false)
		if err != nil {
			return err
		}
		if err := writeFile(dst, p); err != nil {
			return fsClientError(err, name)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("%w: the form holds no files", errUpload)
	}
	return nil
}

// BatchSummary is a batch in the list: its status and its pace.
type BatchSummary struct {
	*queue.BatchStatus
	Uploader       string    `json:"uploader,omitempty"` // the token that uploaded it, if uploaded to the server
	PagesFlagged   int       `json:"pagesFlagged"`
	PagesPerMinute float64   `json:"pagesPerMinute"`
	ETA            time.Time `json:"eta,omitzero"` // while it runs and the pace is known
	FinishedAt     time.Time `json:"finished,omitzero"`
	// Phase names what a queued batch does when its state does not tell:
	// "noWorker" (waiting, no worker running) or "packaging".
	Phase string `json:"phase,omitempty"`
}

func (s *Server) summary(ctx context.Context, id string) (*BatchSummary, error) {
	st, err := s.q.Status(ctx, id)
	if err != nil {
		return nil, err
	}
	fin, err := s.q.Finished(ctx, id)
	if err != nil {
		return nil, err
	}
	flagged, err := s.q.Flagged(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(st.Failures) > 0 || st.Error != "" {
		_, mask, err := s.detailMasked(ctx, id)
		if err != nil {
			return nil, err
		}
		if mask != nil {
			maskStatus(st, mask)
		}
	}
	up, err := s.q.Uploaders(ctx, id)
	if err != nil {
		return nil, err
	}
	bs := &BatchSummary{BatchStatus: st, FinishedAt: fin, PagesFlagged: flagged, Uploader: up[0]}
	end := fin
	if end.IsZero() {
		end = time.Now()
	}
	if mins := end.Sub(st.Submitted).Minutes(); mins > 0 {
		bs.PagesPerMinute = float64(st.PagesDone+st.PagesFailed) / mins
	}
	if fin.IsZero() { // while it runs, the pace of the last minutes
		if r, ok := s.paces.rate(id, end, st.PagesDone+st.PagesFailed); ok {
			bs.PagesPerMinute = r
		}
	} else {
		s.paces.forget(id)
	}
	bs.Phase = phase(st, s.workers.get(ctx))
	if left := st.Pages - st.PagesDone - st.PagesFailed; fin.IsZero() && bs.PagesPerMinute > 0 && left > 0 {
		bs.ETA = time.Now().Add(time.Duration(float64(left) / bs.PagesPerMinute * float64(time.Minute))).Truncate(time.Second)
	}
	return bs, nil
}

// listLimit is how many batches a list shows, newest first, unless ?limit= says otherwise.
const listLimit = 100

// summaries returns the last batches submitted, newest first: listLimit of
// them, or ?limit=N (1-1000) of r.
func (s *Server) summaries(ctx context.Context, r *http.Request) ([]*BatchSummary, error) {
	n := listLimit
	if v, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && v > 0 {
		n = min(v, 1000)
	}
	return s.recent(ctx, n)
}

// recent returns the summaries of the last n batches submitted, newest first.
func (s *Server) recent(ctx context.Context, n int) ([]*BatchSummary, error) {
	// Many dashboards polling the list cost one round of Redis reads per detailTTL.
	return s.caches.lists.Get(strconv.Itoa(n), func() ([]*BatchSummary, error) { return s.loadSummaries(context.WithoutCancel(ctx), n) })
}

func (s *Server) loadSummaries(ctx context.Context, n int) ([]*BatchSummary, error) {
	ids, err := s.q.RecentBatches(ctx, n)
	if err != nil {
		return nil, err
	}
	out := make([]*BatchSummary, 0, len(ids))
	for _, id := range ids {
		bs, err := s.summary(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, bs)
	}
	return out, nil
}

func (s *Server) apiList(w http.ResponseWriter, r *http.Request, who *principal) {
	list, err := s.summaries(r.Context(), r)
	if err != nil {
		s.fail(w, err)
		return
	}
	if who.Role == configs.RoleStation { // a station sees its own uploads only
		own := make([]*BatchSummary, 0, len(list))
		for _, b := range list {
			if b.Uploader != "" && b.Uploader == who.Name {
				own = append(own, b)
			}
		}
		list = own
	}
	writeJSON(w, http.StatusOK, map[string]any{"batches": list})
}

func (s *Server) apiDetail(w http.ResponseWriter, r *http.Request, who *principal) {
	if ok, err := s.maySee(r.Context(), who, r.PathValue("id")); err != nil {
		s.fail(w, err)
		return
	} else if !ok {
		notVisible(w, r.PathValue("id"))
		return
	}
	_, d, ok := s.batchParam(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// batchParam reads the {id} path value and returns the batch's detail
// (secret names masked); when it cannot, it writes the error and ok is false.
func (s *Server) batchParam(w http.ResponseWriter, r *http.Request) (id string, d *queue.BatchDetail, ok bool) {
	id = r.PathValue("id")
	d, err := s.detail(r.Context(), id)
	if err != nil {
		s.fail(w, err)
		return "", nil, false
	}
	return id, d, true
}

// fail writes err as a JSON error.
func (s *Server) fail(w http.ResponseWriter, err error) {
	code, name := errStatus(err)
	if code >= 500 {
		s.log.Error("request failed", "error", err)
	}
	writeError(w, code, name, err.Error(), nil)
}

func (s *Server) apiRetry(w http.ResponseWriter, r *http.Request, who *principal) {
	var req struct {
		Documents []int `json:"documents"` // numbers in batch order; empty: every failed document
	}
	if r.ContentLength != 0 {
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
			writeError(w, http.StatusBadRequest, "malformed", "body: "+err.Error(), nil)
			return
		}
	}
	id := r.PathValue("id")
	before := s.stateOf(r.Context(), id)
	res, err := s.q.Retry(r.Context(), id, docNumbers(req.Documents), actor(r, who))
	if err != nil {
		s.fail(w, err)
		return
	}
	s.forget(id)
	s.log.Info("batch retried", "batch", id, "by", who.Name, "pages", res.Pages)
	s.recordRetry(r, who, id, before, res)
	writeJSON(w, http.StatusAccepted, map[string]any{"batchId": id, "pagesRetried": res.Pages,
		"documentsRetried": res.Documents, "batchTask": res.Batch, "packageTask": res.Package})
}

// apiPackage streams a packaged batch's bag as a tar stream "<id>/<path in the bag>".
// A package holding secret material is never served: it is handed over offline.
func (s *Server) apiPackage(w http.ResponseWriter, r *http.Request, who *principal) {
	id, d, ok := s.batchParam(w, r)
	if !ok {
		return
	}
	if hasSecret(d) {
		s.log.Warn("package refused: secret material", "batch", id, "by", who.Name)
		writeError(w, http.StatusForbidden, "secret", "the batch holds secret documents (mode 03): its package is never served over HTTP; it is handed over offline, from the isolated installation", nil)
		return
	}
	st, err := s.q.Status(r.Context(), id)
	if err != nil {
		s.fail(w, err)
		return
	}
	if !st.Finished() {
		writeError(w, http.StatusConflict, "not_packaged", "the batch has not been packaged yet", nil)
		return
	}
	var files []storage.ObjectInfo
	var names []string
	err = s.q.PackageFiles(r.Context(), id, func(p string, oi storage.ObjectInfo) error {
		files, names = append(files, oi), append(names, p)
		return nil
	})
	if err != nil {
		s.fail(w, err)
		return
	}
	if len(files) == 0 {
		writeError(w, http.StatusNotFound, "not_found", "no package in the archive", nil)
		return
	}
	s.log.Info("package downloaded", "batch", id, "by", who.Name, "files", len(files))
	s.record(r.Context(), r, who, audit.Entry{Action: audit.Download, Batch: id, What: "package",
		Detail: fmt.Sprintf("%d files", len(files))})
	w.Header().Set("Content-Type", "application/x-tar")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": id + ".tar"}))
	tw := tar.NewWriter(w)
	for i, oi := range files {
		if err := s.tarObject(r.Context(), tw, id+"/"+names[i], oi); err != nil {
			// Headers are sent: the client sees a truncated tar stream.
			s.log.Error("package download", "batch", id, "error", err)
			return
		}
	}
	tw.Close()
}

func (s *Server) tarObject(ctx context.Context, tw *tar.Writer, name string, oi storage.ObjectInfo) error {
	rc, err := s.q.Archive().Get(ctx, oi.Key)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o444, Size: oi.Size, ModTime: oi.ModTime, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err = io.Copy(tw, rc)
	return err
}

// docParam reads the {doc} (and {page}) path values and checks that the
// document exists and may be shown (not secret).
func (s *Server) docParam(w http.ResponseWriter, r *http.Request) (id string, round int, doc *queue.DocumentDetail, ok bool) {
	id, d, ok := s.batchParam(w, r)
	if !ok {
		return "", 0, nil, false
	}
	n, err := strconv.Atoi(r.PathValue("doc"))
	for _, f := range d.Files {
		for _, dd := range f.Documents {
			if err == nil && dd.Doc == n {
				doc = dd
			}
		}
	}
	if doc == nil {
		writeError(w, http.StatusNotFound, "not_found", "no such document", nil)
		return "", 0, nil, false
	}
	if doc.Secret {
		writeError(w, http.StatusForbidden, "secret", "secret documents (mode 03) are not shown", nil)
		return "", 0, nil, false
	}
	return id, d.Status.Retries, doc, true
}

func (s *Server) apiPDF(w http.ResponseWriter, r *http.Request, who *principal) {
	id, _, doc, ok := s.docParam(w, r)
	if !ok {
		return
	}
	if doc.State != state.DocDone {
		writeError(w, http.StatusNotFound, "not_found", "the document has no PDF (yet)", nil)
		return
	}
	rc, err := s.q.DocumentPDF(r.Context(), id, doc.Doc)
	if err != nil {
		s.fail(w, err)
		return
	}
	defer rc.Close()
	s.record(r.Context(), r, who, audit.Entry{Action: audit.Download, Batch: id, What: fmt.Sprintf("document %d (%s) PDF", doc.Doc, doc.Code)})
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": doc.Code + ".pdf"}))
	io.Copy(w, rc)
}

func (s *Server) apiThumbnail(w http.ResponseWriter, r *http.Request, _ *principal) {
	id, round, doc, pg, ok := s.pageParam(w, r)
	if !ok {
		return
	}
	data, err := s.thumbnail(r.Context(), id, round, doc.Doc, pg.Page)
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "private, max-age=60")
	w.Write(data)
}

// docNumbers turns document numbers in batch order (0-based, as in the API
// and the dashboard) into the 1-based numbers queue.Retry takes.
func docNumbers(docs []int) []string {
	var out []string
	for _, d := range docs {
		out = append(out, strconv.Itoa(d+1))
	}
	return out
}

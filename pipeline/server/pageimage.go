package server

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
)

// imageStep is the granularity of review renderings' widths: a requested
// width is rounded up to a multiple of it (and capped at the page's own), so
// that a few renderings per page serve every screen and zoom.
const imageStep = 400

// pageImage is a rendering of a page for the review screen.
type pageImage struct {
	data  []byte
	ctype string
}

// renderWidth is the width served for a request of want pixels (0: full) of a page full pixels wide.
func renderWidth(want, full int) int {
	if want <= 0 || want >= full {
		return full
	}
	return min(full, (want+imageStep-1)/imageStep*imageStep)
}

// pageRendering returns a done page's normalized image width pixels wide (renderWidth):
// at full width a JPEG page is served as stored, other pages are encoded
// once; each rendering is made once however many ask at the same time.
func (s *Server) pageRendering(ctx context.Context, id string, round, doc, page, width int) (pageImage, error) {
	k := pageCacheKey(id, round, doc, page)
	return s.caches.images.Get(fmt.Sprintf("%s/%d", k, width), func() (pageImage, error) {
		ctx := context.WithoutCancel(ctx)
		_, im, err := s.q.PageResult(ctx, id, doc, page)
		if err != nil {
			return pageImage{}, err
		}
		if width >= im.Width && im.Filter == pdfa.DCT {
			return pageImage{im.Data, "image/jpeg"}, nil
		}
		data, err := s.scaledPage(ctx, k, id, doc, page, min(width, im.Width), 88)
		return pageImage{data, "image/jpeg"}, err
	})
}

// pageParam finds the batch, document and {page} a request names, answering
// 404 unless the page is processed, and 403 for a secret document (docParam).
func (s *Server) pageParam(w http.ResponseWriter, r *http.Request) (string, int, *queue.DocumentDetail, *queue.PageDetail, bool) {
	id, round, doc, ok := s.docParam(w, r)
	if !ok {
		return "", 0, nil, nil, false
	}
	p, err := strconv.Atoi(r.PathValue("page"))
	if err != nil || p < 1 || p > len(doc.Pages) || doc.Pages[p-1].State != queue.PageDone {
		writeError(w, http.StatusNotFound, "not_found", "no such processed page", nil)
		return "", 0, nil, nil, false
	}
	return id, round, doc, doc.Pages[p-1], true
}

// apiPageImage serves a done page's normalized image for the review screen:
// ?width=N pixels (rounded up to imageStep, at most the page's own width;
// none or 0: full resolution). Secret documents (mode 03) are refused (403).
func (s *Server) apiPageImage(w http.ResponseWriter, r *http.Request, _ *principal) {
	id, round, doc, pg, ok := s.pageParam(w, r)
	if !ok {
		return
	}
	want := 0
	if v := r.URL.Query().Get("width"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "malformed", "width: a number of pixels", nil)
			return
		}
		want = n
	}
	full := 0
	if pg.Result != nil {
		full = pg.Result.Width
	}
	if full <= 0 {
		writeError(w, http.StatusNotFound, "not_found", "the page has no image", nil)
		return
	}
	img, err := s.pageRendering(r.Context(), id, round, doc.Doc, pg.Page, renderWidth(want, full))
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", img.ctype)
	w.Header().Set("Cache-Control", "private, max-age=60")
	w.Write(img.data)
}

package server

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"strings"
	"time"

	"golang.org/x/image/draw"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline/cache"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
)

// detailTTL is how long a batch's detail is reused: many dashboards polling
// the same batch cost one Redis round trip per batch and period.
const detailTTL = time.Second

// thumbWidth is the width of page thumbnails, in pixels.
const thumbWidth = 240

// Bounds of the in-memory caches: when one is full, an arbitrary entry makes room.
const (
	maxDetails = 1000   // batch details (each lives detailTTL)
	maxSums    = 200000 // page results, ~150 bytes each
	maxThumbs  = 4000   // thumbnails, ~15 KB each
	maxLists   = 16     // batch lists, by limit (each lives detailTTL)
	maxImages  = 48     // review renderings, up to a few MB each
	maxWords   = 256    // pages' OCR words for the review screen, ~50 KB each
	maxPlans   = 1000   // review plans (each lives detailTTL)
	maxFields  = 4000   // documents' catalogue and page values (each lives detailTTL)
)

// caches are the server's in-memory caches.
type caches struct {
	lists   *cache.Cache[[]*BatchSummary]   // the batch list, by limit
	details *cache.Cache[maskedDetail]      // batch details, by id
	sums    *cache.Cache[*queue.PageSum]    // done pages' results, by pageCacheKey
	thumbs  *cache.Cache[[]byte]            // done pages' thumbnails, by pageCacheKey
	images  *cache.Cache[pageImage]         // review renderings, by pageCacheKey and width
	words   *cache.Cache[[]ocr.Word]        // done pages' OCR words, by pageCacheKey
	plans   *cache.Cache[queue.ReviewPlan]  // review plans, by batch id
	fields  *cache.Cache[[]queue.FieldView] // documents' metadata side by side, by "id/doc"
}

func newCaches() caches {
	return caches{
		lists:   cache.New[[]*BatchSummary](maxLists, detailTTL),
		details: cache.New[maskedDetail](maxDetails, detailTTL),
		sums:    cache.New[*queue.PageSum](maxSums, 0),
		thumbs:  cache.New[[]byte](maxThumbs, 0),
		images:  cache.New[pageImage](maxImages, 0),
		words:   cache.New[[]ocr.Word](maxWords, 0),
		plans:   cache.New[queue.ReviewPlan](maxPlans, detailTTL),
		fields:  cache.New[[]queue.FieldView](maxFields, detailTTL),
	}
}

// pageCacheKey is the key of a page of batch id in the caches, in the
// batch's round (BatchStatus.Retries): every retry and replacement moves the
// round on in the transaction that resets the pages it re-runs, so a page
// re-run by another process (submit --replace, another server) is never
// served from what this server kept of it before.
func pageCacheKey(id string, round, doc, page int) string {
	return fmt.Sprintf("%s/%d/%d/%d", id, round, doc, page)
}

// maskedDetail is a batch's detail and the replacer that masks its secret
// names (nil without secrets).
type maskedDetail struct {
	val  *queue.BatchDetail
	mask *strings.Replacer
}

// detail returns batch id's detail with the results of its done pages, its
// secret material masked (maskSecrets).
func (s *Server) detail(ctx context.Context, id string) (*queue.BatchDetail, error) {
	d, _, err := s.detailMasked(ctx, id)
	return d, err
}

// detailMasked returns detail(id) and the replacer that masks the batch's
// secret names in other text (nil when it holds no secret material). The
// load is shared by every request asking at the same time, so one request
// going away does not fail the others.
func (s *Server) detailMasked(ctx context.Context, id string) (*queue.BatchDetail, *strings.Replacer, error) {
	md, err := s.caches.details.Get(id, func() (maskedDetail, error) { return s.loadDetail(context.WithoutCancel(ctx), id) })
	return md.val, md.mask, err
}

func (s *Server) loadDetail(ctx context.Context, id string) (maskedDetail, error) {
	d, err := s.q.Detail(ctx, id)
	if err != nil {
		return maskedDetail{}, err
	}
	mask := maskSecrets(d) // nothing of a secret hồ sơ or document leaves the server
	for _, f := range d.Files {
		for _, doc := range f.Documents {
			for _, pg := range doc.Pages {
				if pg.State != queue.PageDone {
					continue
				}
				sum, err := s.caches.sums.Get(pageCacheKey(id, d.Status.Retries, doc.Doc, pg.Page), func() (*queue.PageSum, error) {
					sum, _, err := s.q.PageResult(ctx, id, doc.Doc, pg.Page)
					return sum, err
				})
				if err != nil {
					return maskedDetail{}, err
				}
				pg.Result = sum
			}
		}
	}
	return maskedDetail{d, mask}, nil
}

// forget drops what the server remembers of batch id (after a retry, a
// replacement or a review action): its detail, and its pages' results,
// renderings and words, which a replaced page changes.
func (s *Server) forget(id string) {
	s.caches.details.Forget(id)
	s.caches.lists.ForgetPrefix("")
	s.caches.sums.ForgetPrefix(id + "/")
	s.caches.thumbs.ForgetPrefix(id + "/")
	s.caches.images.ForgetPrefix(id + "/")
	s.caches.words.ForgetPrefix(id + "/")
	s.caches.plans.Forget(id)
	s.caches.fields.ForgetPrefix(id + "/")
}

// reviewPlan returns batch id's review plan, reused for detailTTL by every
// request asking at the same time (forget drops it after an action).
func (s *Server) reviewPlan(ctx context.Context, id string) (queue.ReviewPlan, error) {
	return s.caches.plans.Get(id, func() (queue.ReviewPlan, error) { return s.q.ReviewPlan(context.WithoutCancel(ctx), id) })
}

// docFields returns document doc's metadata side by side (queue.DocumentFields), reused for detailTTL.
func (s *Server) docFields(ctx context.Context, id string, doc int) ([]queue.FieldView, error) {
	return s.caches.fields.Get(fmt.Sprintf("%s/%d", id, doc), func() ([]queue.FieldView, error) {
		return s.q.DocumentFields(context.WithoutCancel(ctx), id, doc)
	})
}

// thumbnail returns a small JPEG of a done page's normalized image
// (orientation and skew applied), made once however many ask at the same time.
func (s *Server) thumbnail(ctx context.Context, id string, round, doc, page int) ([]byte, error) {
	k := pageCacheKey(id, round, doc, page)
	return s.caches.thumbs.Get(k, func() ([]byte, error) {
		return s.scaledPage(context.WithoutCancel(ctx), k, id, doc, page, thumbWidth, 80)
	})
}

// scaledPage returns a done page's normalized image scaled to width pixels, as a JPEG of quality.
func (s *Server) scaledPage(ctx context.Context, k, id string, doc, page, width, quality int) ([]byte, error) {
	_, im, err := s.q.PageResult(ctx, id, doc, page)
	if err != nil {
		return nil, err
	}
	img, err := decodeImage(im)
	if err != nil {
		return nil, fmt.Errorf("page image %s: %w", k, err)
	}
	b := img.Bounds()
	h := max(1, b.Dy()*width/max(1, b.Dx()))
	dst := image.NewRGBA(image.Rect(0, 0, width, h))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("page image %s: %w", k, err)
	}
	return buf.Bytes(), nil
}

// decodeImage decodes an encoded page image: JPEG, or Flate samples (8-bit gray or RGB, or 1-bit).
func decodeImage(im pdfa.Image) (image.Image, error) {
	if im.Filter == pdfa.DCT {
		return jpeg.Decode(bytes.NewReader(im.Data))
	}
	zr, err := zlib.NewReader(bytes.NewReader(im.Data))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	w, h := im.Width, im.Height
	switch {
	case im.BitsPerComponent == 1:
		g := image.NewGray(image.Rect(0, 0, w, h))
		stride := (w + 7) / 8
		if len(raw) < stride*h {
			return nil, fmt.Errorf("short bitonal data")
		}
		for y := range h {
			for x := range w {
				if raw[y*stride+x>>3]&(0x80>>(x&7)) != 0 {
					g.Pix[y*g.Stride+x] = 0xff
				}
			}
		}
		return g, nil
	case im.Gray:
		if len(raw) < w*h {
			return nil, fmt.Errorf("short gray data")
		}
		return &image.Gray{Pix: raw, Stride: w, Rect: image.Rect(0, 0, w, h)}, nil
	}
	if len(raw) < 3*w*h {
		return nil, fmt.Errorf("short RGB data")
	}
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range w * h {
		m.Pix[4*i], m.Pix[4*i+1], m.Pix[4*i+2], m.Pix[4*i+3] = raw[3*i], raw[3*i+1], raw[3*i+2], 0xff
	}
	return m, nil
}

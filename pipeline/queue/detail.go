package queue

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/catalogue"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/state"
	"github.com/sohoa-vn/sohoa/storage"
)

// FlagLowDPI marks a page whose file records a resolution under
// pipeline.MinDPI, or none, so that the batch's --dpi was used instead.
const FlagLowDPI = "low-dpi"

// lowDPI reports whether pg's file records less than pipeline.MinDPI (or nothing).
func lowDPI(pg *pipeline.Page) bool { return min(pg.Info.DPIX, pg.Info.DPIY) < pipeline.MinDPI }

// recordFlags keeps a processed page's flags in Redis (through c, a
// pipeline of the page's writes), where Flagged counts them.
func recordFlags(ctx context.Context, c redis.Cmdable, p pagePayload, pg *pipeline.Page, flags []string) error {
	if lowDPI(pg) {
		flags = append(flags[:len(flags):len(flags)], FlagLowDPI)
	}
	if len(flags) == 0 {
		return nil
	}
	if err := c.HSet(ctx, keyFlags(p.Batch), pageRef{p.Doc, p.Page}.String(), strings.Join(flags, ",")).Err(); err != nil {
		return fmt.Errorf("page %+v: flags: %w", p, err)
	}
	return nil
}

// Flagged returns the number of processed pages of batch id flagged for a
// person's review (low OCR confidence, blank, uncertain orientation, low dpi).
func (q *Queue) Flagged(ctx context.Context, id string) (int, error) {
	n, err := q.rdb.HLen(ctx, keyFlags(id)).Result()
	if err != nil {
		return 0, fmt.Errorf("batch %s: flags: %w", id, err)
	}
	return int(n), nil
}

// Page states in PageDetail.
const (
	PagePending = "pending"
	PageDone    = "done"
	PageFailed  = "failed"
)

// BatchDetail is a submitted batch's hồ sơ, documents and pages with their state.
type BatchDetail struct {
	Status *BatchStatus  `json:"status"`
	Files  []*FileDetail `json:"files"`
}

// FileDetail is one hồ sơ of a batch.
type FileDetail struct {
	Code      string            `json:"fileCode"`
	Title     string            `json:"title,omitempty"`
	Mode      string            `json:"mode,omitempty"`
	Documents []*DocumentDetail `json:"documents"`
}

// DocumentDetail is one document, numbered in batch order as in task payloads and Retry.
type DocumentDetail struct {
	Doc    int            `json:"doc"`
	Code   string         `json:"docCode"`
	Source string         `json:"source"`
	Title  string         `json:"subject,omitempty"`
	Number string         `json:"number,omitempty"` // số và ký hiệu, e.g. "15/QĐ-UBND"
	Secret bool           `json:"secret"`           // access mode 03: no text or image may be shown
	State  state.DocState `json:"state"`            // pending, done, empty or failed
	// Reason is why the document failed (State failed).
	Reason string        `json:"reason,omitempty"`
	Pages  []*PageDetail `json:"pages"`
	// FromPage lists the metadata fields read from the page, the catalogue having none;
	// Mismatches the fields where the page disagrees with the catalogue.
	FromPage   []string            `json:"fromPage,omitempty"`
	Mismatches []pipeline.Mismatch `json:"mismatches,omitempty"`
}

// docMeta is what the dashboard shows of a document's metadata read from its pages.
type docMeta struct {
	FromPage   []string            `json:"fromPage,omitempty"`
	Mismatches []pipeline.Mismatch `json:"mismatches,omitempty"`
	Page       map[string]string   `json:"page,omitempty"` // every field read from the page, by tag (review screen)
}

// recordDocMeta keeps, for the dashboard, which fields of document d were read from its
// pages and where they disagree with the catalogue. Nothing is kept of a secret document.
func (q *Queue) recordDocMeta(ctx context.Context, id string, d int, df *pipeline.DocFields) error {
	if df == nil || df.Secrecy != "" {
		return nil
	}
	m := docMeta{Mismatches: df.Mismatches, Page: pageValues(df.Page)}
	for tag, s := range df.Sources {
		if s.Source == catalogue.SourcePage {
			m.FromPage = append(m.FromPage, tag)
		}
	}
	sort.Strings(m.FromPage)
	js, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := q.rdb.HSet(ctx, keyDocMeta(id), strconv.Itoa(d), js).Err(); err != nil {
		return fmt.Errorf("document %d: %w", d, err)
	}
	return nil
}

// PageDetail is one page. Result fields are set once the page is done.
type PageDetail struct {
	Page     int      `json:"page"` // 1-based in the document
	File     string   `json:"file"`
	FilePage int      `json:"filePage"`
	DPI      float64  `json:"dpi"`
	LowDPI   bool     `json:"lowDpi"` // the file records less than pipeline.MinDPI (or none)
	State    string   `json:"state"`
	Stage    string   `json:"stage,omitempty"`  // failed stage
	Reason   string   `json:"reason,omitempty"` // failure
	Result   *PageSum `json:"result,omitempty"`
}

// PageSum is what a done page's processing found.
type PageSum struct {
	Orientation int      `json:"orientationDeg"`
	Skew        float64  `json:"skewDeg"`
	Confidence  float64  `json:"confidence"`
	Words       int      `json:"words"`
	Flags       []string `json:"flags,omitempty"`
	Width       int      `json:"width"`
	Height      int      `json:"height"`
}

// Detail returns the hồ sơ, documents and pages of batch id with their state,
// without page results (see PageResult).
func (q *Queue) Detail(ctx context.Context, id string) (*BatchDetail, error) {
	st, err := q.Status(ctx, id)
	if err != nil {
		return nil, err
	}
	files, err := q.structure(ctx, id)
	if err != nil {
		return nil, err
	}
	pipe := q.rdb.Pipeline()
	fails := pipe.HGetAll(ctx, keyPageFails(id))
	docs := pipe.HGetAll(ctx, keyDocs(id))
	metas := pipe.HGetAll(ctx, keyDocMeta(id))
	done := make([]*redisStrings, st.Documents)
	for i := range done {
		done[i] = &redisStrings{pipe.SMembers(ctx, keyDocPages(id, i))}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("detail %s: %w", id, err)
	}
	statuses, err := docStatuses(docs.Val())
	if err != nil {
		return nil, fmt.Errorf("detail %s: %w", id, err)
	}
	for _, fd := range files {
		for _, dd := range fd.Documents {
			i := dd.Doc
			if i < 0 || i >= len(done) {
				return nil, fmt.Errorf("detail %s: document %d out of range", id, i)
			}
			dd.State = state.DocPending
			if js, ok := metas.Val()[strconv.Itoa(i)]; ok && !dd.Secret {
				var m docMeta
				if err := json.Unmarshal([]byte(js), &m); err != nil {
					return nil, fmt.Errorf("detail %s: document %d: fields read: %w", id, i, err)
				}
				dd.FromPage, dd.Mismatches = m.FromPage, m.Mismatches
			}
			if ds, ok := statuses[i]; ok {
				dd.State, dd.Reason = ds.State, ds.Reason
			}
			finished := map[string]bool{}
			for _, p := range done[i].cmd.Val() {
				finished[p] = true
			}
			for _, pd := range dd.Pages {
				pd.State = PagePending
				if js, ok := fails.Val()[pageRef{i, pd.Page}.String()]; ok {
					var fl failure
					if err := json.Unmarshal([]byte(js), &fl); err != nil {
						return nil, fmt.Errorf("detail %s: page %d/%d: failure record: %w", id, i, pd.Page, err)
					}
					pd.Stage, pd.Reason = fl.Stage, fl.Reason
					pd.State = PageFailed
				} else if finished[strconv.Itoa(pd.Page)] {
					pd.State = PageDone
				}
			}
		}
	}
	return &BatchDetail{Status: st, Files: files}, nil
}

// structure returns the hồ sơ, documents and pages of batch id, without
// state, from the structure Submit keeps in Redis: nothing is downloaded.
func (q *Queue) structure(ctx context.Context, id string) ([]*FileDetail, error) {
	b, err := q.structureBatch(ctx, id)
	if err != nil {
		return nil, err
	}
	var files []*FileDetail
	var fd *FileDetail
	for i, dr := range documents(b) {
		if fd == nil || fd.Code != dr.f.Meta.FileCode {
			fd = &FileDetail{Code: dr.f.Meta.FileCode, Title: dr.f.Meta.Title, Mode: dr.f.Meta.Mode}
			files = append(files, fd)
		}
		dd := &DocumentDetail{Doc: i, Code: dr.d.Meta.DocCode, Source: dr.d.Source, Title: dr.d.Meta.Subject,
			Number: strings.Trim(dr.d.Meta.CodeNumber+"/"+dr.d.Meta.CodeNotation, "/"),
			Secret: dr.d.Meta.Mode == pipeline.ModeSecret || dr.f.Meta.Mode == pipeline.ModeSecret}
		for _, pg := range dr.d.Pages {
			dd.Pages = append(dd.Pages, &PageDetail{Page: pg.Index, File: pg.File, FilePage: pg.FilePage, DPI: pg.DPI, LowDPI: lowDPI(pg)})
		}
		fd.Documents = append(fd.Documents, dd)
	}
	return files, nil
}

// structureBatch returns batch id as Submit described it (catalogue metadata,
// documents and pages), from Redis, or loaded when it was submitted without one.
func (q *Queue) structureBatch(ctx context.Context, id string) (*pipeline.Batch, error) {
	data, err := q.rdb.Get(ctx, keyStructure(id)).Bytes()
	switch {
	case err == nil:
		b, err := decodeStructure(data, "")
		if err != nil {
			return nil, fmt.Errorf("batch %s: structure: %w", id, err)
		}
		return b, nil
	case errors.Is(err, redis.Nil): // submitted without one: load it
		m, err := q.meta(ctx, id)
		if err != nil {
			return nil, err
		}
		return q.batch(ctx, id, m)
	}
	return nil, fmt.Errorf("batch %s: structure: %w", id, err)
}

type redisStrings struct {
	cmd interface{ Val() []string }
}

// PageResult returns what processing found on a done page (document doc,
// 1-based page) and its normalized image, as the page task stored them.
func (q *Queue) PageResult(ctx context.Context, id string, doc, page int) (*PageSum, pdfa.Image, error) {
	data, err := getAll(ctx, q.stores.Work, pageKey(id, doc, page))
	if err != nil {
		return nil, pdfa.Image{}, err
	}
	var pr pageResult
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&pr); err != nil {
		return nil, pdfa.Image{}, fmt.Errorf("page result %s: %w", pageKey(id, doc, page), err)
	}
	s := &PageSum{Orientation: pr.Geometry.Orientation, Skew: pr.Geometry.Skew, Flags: pr.Flags, Width: pr.Width, Height: pr.Height}
	if pr.OCR != nil {
		s.Confidence, s.Words = pr.OCR.MeanConfidence, len(pr.OCR.Words)
	}
	return s, pr.Image, nil
}

// DocumentPDF opens the PDF/A of a done document from the work bucket.
func (q *Queue) DocumentPDF(ctx context.Context, id string, doc int) (io.ReadCloser, error) {
	return q.stores.Work.Get(ctx, docKey(id, doc, "pdf"))
}

// PackageFiles lists the objects of batch id's package in the archive bucket, keyed by path in the bag.
func (q *Queue) PackageFiles(ctx context.Context, id string, fn func(path string, info storage.ObjectInfo) error) error {
	prefix := id + "/"
	return q.stores.Archive.List(ctx, prefix, func(oi storage.ObjectInfo) error {
		return fn(strings.TrimPrefix(oi.Key, prefix), oi)
	})
}

// Archive returns the archive store, where packages are.
func (q *Queue) Archive() storage.Store { return q.stores.Archive }

// Inbox returns the inbox store, where originals are uploaded.
func (q *Queue) Inbox() storage.Store { return q.stores.Inbox }

// RecentBatches returns the ids of the n batches submitted last, newest first.
func (q *Queue) RecentBatches(ctx context.Context, n int) ([]string, error) {
	ids, err := q.rdb.ZRevRange(ctx, keyBatches(), 0, int64(n)-1).Result()
	if err != nil {
		return nil, fmt.Errorf("batches: %w", err)
	}
	return ids, nil
}

// States counts the submitted batches by state.
func (q *Queue) States(ctx context.Context) (map[string]int, error) {
	ids, err := q.Batches(ctx)
	if err != nil {
		return nil, err
	}
	pipe := q.rdb.Pipeline()
	cmds := make([]interface{ Val() string }, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGet(ctx, keyBatch(id), "state")
	}
	if _, err := pipe.Exec(ctx); err != nil && len(ids) > 0 {
		return nil, fmt.Errorf("batch states: %w", err)
	}
	out := map[string]int{StateQueued.String(): 0, StateComplete.String(): 0, StateIncomplete.String(): 0}
	for _, c := range cmds {
		out[c.Val()]++
	}
	return out, nil
}

// Finished returns when batch id's package was written (zero while it is not).
func (q *Queue) Finished(ctx context.Context, id string) (time.Time, error) {
	v, err := q.rdb.HGet(ctx, keyBatch(id), "finished").Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, nil
	} else if err != nil {
		return time.Time{}, fmt.Errorf("batch %s: %w", id, err)
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("batch %s: finished: %w", id, err)
	}
	return t, nil
}

// Ping checks that the three buckets answer.
func (q *Queue) Ping(ctx context.Context) error {
	for name, s := range map[string]storage.Store{"inbox": q.stores.Inbox, "work": q.stores.Work, "archive": q.stores.Archive} {
		if _, err := s.Stat(ctx, "readyz"); err != nil && !errors.Is(err, storage.ErrNotExist) {
			return fmt.Errorf("%s bucket: %w", name, err)
		}
	}
	return nil
}

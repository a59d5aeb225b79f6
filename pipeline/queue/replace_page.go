package queue

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
)

// ReplacePage replaces the original file of page (1-based) of document doc
// of batch id with scan, a new scan of that file, through Replace: the batch
// is rebuilt in a folder under tmpDir from the current originals in the
// inbox (each checked against its SHA-256), the file is overwritten, the
// batch is loaded again with the options it was submitted with, and Replace
// stores the new version (the old one kept) and re-runs its document. A file
// The batch's state change is recorded in the audit trail as who's.
// holding several pages (a multi-page TIFF) is replaced whole.
func (q *Queue) ReplacePage(ctx context.Context, id string, doc, page int, scan io.Reader, tmpDir string, who audit.Actor) (*ReplaceResult, error) {
	m, err := q.meta(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := replaceable(id, m.state); err != nil {
		return nil, err
	}
	b, err := q.structureBatch(ctx, id)
	if err != nil {
		return nil, err
	}
	docs := documents(b)
	if doc < 0 || doc >= len(docs) || page < 1 || page > len(docs[doc].d.Pages) {
		return nil, fmt.Errorf("batch %s: document %d page %d: %w", id, doc, page, ErrUnknownDocument)
	}
	file := docs[doc].d.Pages[page-1].File
	files, err := q.rdb.HKeys(ctx, keyFiles(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("batch %s: %w", id, err)
	}
	if !slices.Contains(files, file) {
		return nil, fmt.Errorf("batch %s: %s was not submitted", id, file)
	}
	tmp, err := os.MkdirTemp(tmpDir, "replace-page-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, id)
	others := slices.DeleteFunc(slices.Clone(files), func(f string) bool { return f == file })
	if _, err := q.fetchFiles(ctx, id, dir, others); err != nil {
		return nil, err
	}
	dst := filepath.Join(dir, filepath.FromSlash(file))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(dst)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(f, scan); err != nil {
		f.Close()
		return nil, fmt.Errorf("replace %s: %s: %w", id, file, err)
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	nb, err := pipeline.Load(ctx, dir, m.lo)
	if err != nil {
		return nil, fmt.Errorf("replace %s: %s: %w", id, file, err)
	}
	return q.Replace(ctx, nb, m.lo, who)
}

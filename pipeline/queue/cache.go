package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/storage"
)

// maxCachedBatches bounds the batches a worker keeps in memory; one more
// makes room by dropping an arbitrary one, fetched again when needed.
const maxCachedBatches = 1000

// batchCacheKey is the key of batch id's cached copy at meta version v of
// submission sub (meta.sub): the originals replaced since (a new version),
// or another batch submitted under the id, make a new copy.
func batchCacheKey(id string, v int, sub string) string { return fmt.Sprintf("%s@%d@%s", id, v, sub) }

// forgetBatch drops every cached copy of batch id.
func (q *Queue) forgetBatch(id string) { q.batches.ForgetPrefix(id + "@") }

// batch returns the worker's local copy of a batch, downloading its files
// from the inbox (verified by SHA-256) and loading it as submit did.
func (q *Queue) batch(ctx context.Context, id string, m *meta) (*pipeline.Batch, error) {
	key := batchCacheKey(id, m.version, m.sub)
	b, err := q.batches.Get(key, func() (*pipeline.Batch, error) { return q.fetch(ctx, id, m) })
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(b.Dir); err != nil {
		// Removed by the package task of a worker sharing CacheDir: fetch again.
		q.batches.Forget(key)
		return q.batch(ctx, id, m)
	}
	return b, nil
}

// fetch returns the batch as Submit loaded it, from the structure stored in
// Redis, with Dir a local folder where its files are fetched as tasks need
// them (fetchFiles). For a batch submitted without a stored structure (by an
// earlier sohoa) it downloads every file and loads the batch again.
func (q *Queue) fetch(ctx context.Context, id string, m *meta) (*pipeline.Batch, error) {
	dir := filepath.Join(q.opts.CacheDir, id)
	if data, err := q.rdb.Get(ctx, keyStructure(id)).Bytes(); err == nil {
		b, err := decodeStructure(data, dir)
		if err != nil {
			return nil, fmt.Errorf("batch %s: structure: %w", id, err)
		}
		if b.ID != id {
			return nil, fmt.Errorf("batch %s: the structure is of batch %s", id, b.ID)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("batch %s: %w", id, err)
		}
		return b, nil
	} else if !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("batch %s: %w", id, err)
	}
	files, err := q.rdb.HGetAll(ctx, keyFiles(id)).Result() // file -> SHA-256
	if err != nil {
		return nil, fmt.Errorf("batch %s: %w", id, err)
	}
	for file, sum := range files {
		dst := filepath.Join(dir, filepath.FromSlash(file))
		if _, err := os.Stat(dst); err == nil {
			continue
		}
		if _, err := storage.Download(ctx, q.stores.Inbox, inboxKey(id, file), dst, storage.DownloadOptions{SHA256: sum}); err != nil {
			return nil, fmt.Errorf("batch %s: %w", id, err)
		}
	}
	b, err := pipeline.Load(ctx, dir, m.lo)
	if err != nil {
		return nil, fmt.Errorf("batch %s: load: %w", id, err)
	}
	if b.ID != id {
		return nil, fmt.Errorf("batch %s: the inbox holds batch %s", id, b.ID)
	}
	return b, nil
}

// fetchFiles makes sure the named files of batch id are in its local folder
// dir, downloading the missing ones from the inbox, each checked against the
// SHA-256 recorded at submit, and returns their identities. A file this
// worker has checked before and that has not changed since is not read
// again (localCopies); the recorded sums and versions of all the files are
// read in one round trip.
func (q *Queue) fetchFiles(ctx context.Context, id, dir string, files []string) (map[string]pipeline.Original, error) {
	if len(files) == 0 {
		return map[string]pipeline.Original{}, nil
	}
	pipe := q.rdb.Pipeline()
	sums := pipe.HMGet(ctx, keyFiles(id), files...)
	vers := pipe.HMGet(ctx, keyVersions(id), files...)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("batch %s: %w", id, err)
	}
	out := make(map[string]pipeline.Original, len(files))
	for i, file := range files {
		sum, _ := sums.Val()[i].(string)
		if sum == "" {
			return nil, fmt.Errorf("batch %s: %s was not submitted", id, file)
		}
		dst := filepath.Join(dir, filepath.FromSlash(file))
		size, err := q.fetchFile(ctx, id, file, dst, sum, vers.Val()[i])
		if err != nil {
			return nil, err
		}
		out[file] = pipeline.Original{File: file, SHA256: sum, Size: size}
	}
	return out, nil
}

// fetchFile makes sure dst holds file of batch id with SHA-256 sum,
// downloading it from the inbox (the key of its last version when it was
// replaced: versions, a JSON list or nil) unless it is there already, and
// returns its size.
func (q *Queue) fetchFile(ctx context.Context, id, file, dst, sum string, versions any) (int64, error) {
	if size, ok := q.local.checked(dst, sum); ok {
		return size, nil
	}
	if have, _, err := bag.HashFile(dst); err == nil && have == sum {
		return q.local.record(dst, sum) // the current version is here already (an older one, replaced since, is not)
	}
	key := inboxKey(id, file)
	if js, ok := versions.(string); ok {
		var err error
		if key, err = lastVersionKey(id, file, js); err != nil {
			return 0, err
		}
	}
	if _, err := storage.Download(ctx, q.stores.Inbox, key, dst, storage.DownloadOptions{SHA256: sum}); err != nil {
		return 0, fmt.Errorf("batch %s: %w", id, err)
	}
	return q.local.record(dst, sum)
}

// structure is a loaded batch as Submit stores it in Redis, so that workers
// know the batch without downloading it: a page task fetches only its own
// file. Page.Unreadable, an error, is carried as text.
type structure struct {
	Batch      *pipeline.Batch
	Unreadable map[string]string // "document/page" -> why the page's file could not be read when loaded
}

// encodeStructure returns b's structure, without its local folder, as JSON.
func encodeStructure(b *pipeline.Batch) ([]byte, error) {
	cp := copyDocuments(b)
	cp.Dir = ""
	st := structure{Batch: cp, Unreadable: map[string]string{}}
	for n, r := range documents(cp) {
		pages := make([]*pipeline.Page, len(r.d.Pages))
		for k, pg := range r.d.Pages {
			pc := *pg
			if pc.Unreadable != nil {
				st.Unreadable[fmt.Sprintf("%d/%d", n, pc.Index)] = pc.Unreadable.Error()
				pc.Unreadable = nil
			}
			pages[k] = &pc
		}
		r.d.Pages = pages
	}
	return json.Marshal(&st)
}

// copyDocuments returns a copy of b down to its documents: its files and
// documents are new values that can be changed without changing b; their
// pages are still b's.
func copyDocuments(b *pipeline.Batch) *pipeline.Batch {
	cp := *b
	cp.Files = make([]*pipeline.File, len(b.Files))
	for i, f := range b.Files {
		fc := *f
		fc.Documents = make([]*pipeline.Document, len(f.Documents))
		for j, d := range f.Documents {
			dc := *d
			fc.Documents[j] = &dc
		}
		cp.Files[i] = &fc
	}
	return &cp
}

// decodeStructure returns the batch stored by encodeStructure, with Dir set to dir.
func decodeStructure(data []byte, dir string) (*pipeline.Batch, error) {
	var st structure
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, err
	}
	if st.Batch == nil {
		return nil, errors.New("no batch")
	}
	b := st.Batch
	b.Dir = dir
	for i, dr := range documents(b) {
		for _, pg := range dr.d.Pages {
			if msg, ok := st.Unreadable[fmt.Sprintf("%d/%d", i, pg.Index)]; ok {
				pg.Unreadable = errors.New(msg)
			}
		}
	}
	return b, nil
}

package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/storage"
)

// version is one version of a batch's original, as kept in the inbox.
type version struct {
	Version int       `json:"version"`
	SHA256  string    `json:"sha256"`
	Size    int64     `json:"size"`
	Key     string    `json:"key"`
	Stored  time.Time `json:"stored"`
}

// putVersion uploads file of b as version v.
func (q *Queue) putVersion(ctx context.Context, b *pipeline.Batch, file string, v version) error {
	f, err := os.Open(filepath.Join(b.Dir, filepath.FromSlash(file)))
	if err != nil {
		return fmt.Errorf("replace %s: %w", file, err)
	}
	defer f.Close()
	if _, err := q.stores.Inbox.Put(ctx, v.Key, f, v.Size, storage.PutOptions{SHA256: v.SHA256}); err != nil {
		return fmt.Errorf("replace %s: %w", file, err)
	}
	return nil
}

// versions returns the recorded versions of the replaced files of batch id.
func (q *Queue) versions(ctx context.Context, id string) (map[string][]version, error) {
	h, err := q.rdb.HGetAll(ctx, keyVersions(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("batch %s: versions: %w", id, err)
	}
	out := map[string][]version{}
	for f, js := range h {
		var vs []version
		if err := json.Unmarshal([]byte(js), &vs); err != nil {
			return nil, fmt.Errorf("batch %s: versions of %s: %w", id, f, err)
		}
		out[f] = vs
	}
	return out, nil
}

// lastVersionKey returns the inbox key of the last of the versions of file
// in batch id recorded as js (the JSON list under keyVersions).
func lastVersionKey(id, file, js string) (string, error) {
	var vs []version
	if err := json.Unmarshal([]byte(js), &vs); err != nil || len(vs) == 0 {
		return "", fmt.Errorf("batch %s: versions of %s: %q", id, file, js)
	}
	return vs[len(vs)-1].Key, nil
}

// superseded lists the earlier versions of the replaced originals of batch id, for PREMIS.
func (q *Queue) superseded(ctx context.Context, id string) ([]pipeline.Superseded, error) {
	all, err := q.versions(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []pipeline.Superseded
	for f, vs := range all {
		for i := 0; i+1 < len(vs); i++ {
			out = append(out, pipeline.Superseded{File: f, Version: vs[i].Version, SHA256: vs[i].SHA256, Size: vs[i].Size,
				Key: vs[i].Key, Replaced: vs[i+1].Stored, By: vs[i+1].SHA256})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Version < out[j].Version
	})
	return out, nil
}

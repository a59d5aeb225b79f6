// Every key this package uses: Redis keys, object keys in the stores, task
// IDs and retry rounds.

package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// taskRetention keeps finished tasks (and so their TaskIDs) for this long, so
// that a duplicate enqueue meanwhile is refused. Later duplicates are caught by
// the batch state: finished pages, documents and packages are not redone.
const taskRetention = 24 * time.Hour

// Redis keys.
func keyBatches() string                  { return "sohoa:batches" }
func keyBatch(id string) string           { return "sohoa:batch:" + id }
func keyFiles(id string) string           { return "sohoa:batch:" + id + ":files" }
func keyPageFails(id string) string       { return "sohoa:batch:" + id + ":pagefail" }
func keyDocs(id string) string            { return "sohoa:batch:" + id + ":docs" }
func keyDocMeta(id string) string         { return "sohoa:batch:" + id + ":docmeta" }
func keyDocPages(id string, d int) string { return fmt.Sprintf("sohoa:batch:%s:doc:%d", id, d) }
func keyDocIndex(id string) string        { return "sohoa:batch:" + id + ":docindex" }
func keyDocCodes(id string) string        { return "sohoa:batch:" + id + ":doccodes" }
func keyStructure(id string) string       { return "sohoa:batch:" + id + ":structure" }
func keyRetry(id string) string           { return "sohoa:batch:" + id + ":retry" }
func keyFlags(id string) string           { return "sohoa:batch:" + id + ":flags" }

// keyVersions holds, per replaced file of batch id, its versions (JSON list of version).
func keyVersions(id string) string { return "sohoa:batch:" + id + ":versions" }

// Storage keys.
func inboxKey(id, file string) string { return id + "/" + file }
func pageKey(id string, d, p int) string {
	return fmt.Sprintf("%s/pages/%d/%d.gob", id, d, p)
}
func docKey(id string, d int, ext string) string { return fmt.Sprintf("%s/docs/%d/doc.%s", id, d, ext) }

// versionKey is the inbox key of version n (2 and up) of a batch's file. Its
// first segment, "<id>@v<n>", cannot be a batch id (no "@" in those), so it
// never meets another batch's originals.
func versionKey(id string, n int, file string) string { return fmt.Sprintf("%s@v%d/%s", id, n, file) }

// Task IDs. Round 0 is the submitted run; each Retry starts a new round,
// whose tasks get new IDs (the finished tasks of earlier rounds keep theirs
// for taskRetention).
func pageTaskID(id string, d, p, round int) string {
	return fmt.Sprintf("%s/page/%d/%d", id, d, p) + roundSuffix(round)
}
func docTaskID(id string, d, round int) string {
	return fmt.Sprintf("%s/doc/%d", id, d) + roundSuffix(round)
}
func packageTaskID(id string, round int) string { return id + "/package" + roundSuffix(round) }
func batchTaskID(id string, round int) string   { return id + roundSuffix(round) }

func roundSuffix(round int) string {
	if round == 0 {
		return ""
	}
	return fmt.Sprintf("/retry-%d", round)
}

// round returns the current retry round of batch id.
func (q *Queue) round(ctx context.Context, id string) (int, error) {
	n, err := q.rdb.HGet(ctx, keyBatch(id), "retries").Int()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("batch %s: retries: %w", id, err)
	}
	return n, nil
}

package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/storage"
)

// ErrBusy means another submit of the same batch id is running (or was
// stopped without ending, less than claimTTL ago). It is wrapped together
// with ErrConflict.
var ErrBusy = errors.New("another submit of this batch id is in progress")

// claimTTL is how long a submit holds its batch id without progress: each
// file stored renews it, so only a station stopped without ending its submit
// (power cut, kill -9) leaves the id held, for at most this long.
const claimTTL = 10 * time.Minute

// keyClaim holds the token of the submit that is storing batch id's originals.
func keyClaim(id string) string { return "sohoa:batch:" + id + ":submitting" }

// releaseScript deletes the claim only when it is still the caller's.
var releaseScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// claim takes batch id for one submit; renew keeps it while files are stored
// and release gives it back. A claim held by another submit is ErrBusy.
func (q *Queue) claim(ctx context.Context, id string) (renew func(context.Context), release func(), err error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, nil, fmt.Errorf("submit %s: %w", id, err)
	}
	token := hex.EncodeToString(b)
	ok, err := q.rdb.SetNX(ctx, keyClaim(id), token, claimTTL).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("submit %s: %w", id, err)
	}
	if !ok {
		return nil, nil, fmt.Errorf("submit %s: %w: %w (wait for it to end, or at most %v after a stopped one)", id, ErrConflict, ErrBusy, claimTTL)
	}
	renew = func(ctx context.Context) { q.rdb.Expire(ctx, keyClaim(id), claimTTL) }
	release = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		releaseScript.Run(ctx, q.rdb, []string{keyClaim(id)}, token)
	}
	return renew, release, nil
}

// removePartial removes what a submit of batch id that never completed left
// in the inbox: every original that is not a file of the batch now being
// submitted (local: file -> SHA-256), or has other content. Originals equal
// to the batch's stay, so an interrupted submit of the same batch resumes
// by uploading only what is missing; a different batch under an id that was
// never recorded starts clean. It returns the number of objects removed and
// the files that stay (in the inbox, equal to the batch's): while the claim
// is held, every other file of the batch is absent from the inbox.
// Called, holding the id's claim, only when no batch is recorded under id
// (none was, or an abandoned one was just removed) or this same batch is,
// still uploading (a resumed submit).
func (q *Queue) removePartial(ctx context.Context, id string, local map[string]string) (removed int, stored map[string]bool, err error) {
	prefix := id + "/"
	var stale []string
	stored = map[string]bool{}
	err = q.stores.Inbox.List(ctx, prefix, func(oi storage.ObjectInfo) error {
		file := strings.TrimPrefix(oi.Key, prefix)
		sum, ok := local[file]
		if !ok {
			stale = append(stale, oi.Key)
			return nil
		}
		st, err := q.stores.Inbox.Stat(ctx, oi.Key)
		if err != nil {
			return err
		}
		if st.SHA256 != sum {
			stale = append(stale, oi.Key)
		} else {
			stored[file] = true
		}
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("submit %s: leftovers of an earlier submit: %w", id, err)
	}
	for _, k := range stale {
		if err := q.stores.Inbox.Delete(ctx, k); err != nil {
			return 0, nil, fmt.Errorf("submit %s: removing %s, left by a submit that never completed: %w", id, k, err)
		}
	}
	return len(stale), stored, nil
}

// removeAbandoned removes batch id, left in state uploading by a submit that
// never completed, before a different batch is submitted under its id:
// its page tasks (whatever their state, so that none runs later and their
// TaskIDs are free for the new batch's), the page results they stored in
// the work store, and its records. A page task of it still running makes it
// ErrBusy (with ErrConflict), as a submit still running does: what it would
// record after the removal would be taken for the new batch's. Its
// originals are left to removePartial. Called holding the id's claim.
func (q *Queue) removeAbandoned(ctx context.Context, id string) error {
	data, err := q.rdb.Get(ctx, keyStructure(id)).Bytes()
	if err != nil {
		return fmt.Errorf("submit %s: the unfinished submit's structure: %w", id, err)
	}
	b, err := decodeStructure(data, "")
	if err != nil {
		return fmt.Errorf("submit %s: the unfinished submit's structure: %w", id, err)
	}
	keys := []string{keyBatch(id), keyFiles(id), keyStructure(id), keyDocIndex(id), keyDocCodes(id), keyPageFails(id), keyFlags(id),
		keyDocs(id), keyDocMeta(id), keyVersions(id), keyRetry(id)}
	for d, dr := range documents(b) {
		keys = append(keys, keyDocPages(id, d))
		for _, pg := range dr.d.Pages {
			err := q.inspector.DeleteTask(taskQueue, pageTaskID(id, d, pg.Index, 0))
			if err == nil || errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
				continue
			}
			if info, ierr := q.inspector.GetTaskInfo(taskQueue, pageTaskID(id, d, pg.Index, 0)); ierr == nil && info.State == asynq.TaskStateActive {
				return fmt.Errorf("submit %s: %w: %w (a page of an earlier submit of this id that never completed is being processed; submit again in a minute)",
					id, ErrConflict, ErrBusy)
			}
			return fmt.Errorf("submit %s: removing a page task of an earlier submit that never completed: %w", id, err)
		}
	}
	if err := q.deleteWork(ctx, id); err != nil {
		return fmt.Errorf("submit %s: removing the results of an earlier submit that never completed: %w", id, err)
	}
	if err := q.rdb.Del(ctx, keys...).Err(); err != nil {
		return fmt.Errorf("submit %s: removing the record of a submit that never completed: %w", id, err)
	}
	return nil
}

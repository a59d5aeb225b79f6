package queue

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// SetUploader records who uploaded batch id (an API token's name), unless
// someone is recorded already: the first upload of an id owns it.
func (q *Queue) SetUploader(ctx context.Context, id, name string) error {
	if err := q.rdb.HSetNX(ctx, keyBatch(id), "uploader", name).Err(); err != nil {
		return fmt.Errorf("batch %s: uploader: %w", id, err)
	}
	return nil
}

// Uploaders returns who uploaded each of ids ("" for a batch submitted
// otherwise, e.g. by "sohoa submit"), in the order of ids.
func (q *Queue) Uploaders(ctx context.Context, ids ...string) ([]string, error) {
	pipe := q.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGet(ctx, keyBatch(id), "uploader")
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("batch uploaders: %w", err)
	}
	out := make([]string, len(ids))
	for i, c := range cmds {
		out[i] = c.Val()
	}
	return out, nil
}

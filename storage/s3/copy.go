package s3

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/sohoa-vn/sohoa/storage"
)

var _ storage.CopyStore = (*Store)(nil)

// RetentionOf implements storage.CopyStore with the object's S3 retention (GetObjectRetention); in a bucket
// without object lock every object has none.
func (s *Store) RetentionOf(ctx context.Context, key string) (*storage.Retention, error) {
	if err := storage.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("s3 retention: %w", err)
	}
	if _, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{}); err != nil {
		return nil, fmt.Errorf("s3 retention %q: %w", key, s.mapErr(ctx, err))
	}
	if !s.locked {
		return nil, nil
	}
	mode, until, err := s.client.GetObjectRetention(ctx, s.bucket, key, "")
	if err != nil {
		if code := errorResponse(err).Code; code == "NoSuchObjectLockConfiguration" || code == "ObjectLockConfigurationNotFoundError" {
			return nil, nil
		}
		return nil, fmt.Errorf("s3 retention %q: %w", key, s.mapErr(ctx, err))
	}
	if mode == nil || until == nil || *mode == "" {
		return nil, nil
	}
	return &storage.Retention{Mode: string(*mode), Until: until.UTC()}, nil
}

// Replace implements storage.CopyStore with an unconditional PUT verified by the server (x-amz-checksum-sha256):
// in a locked bucket it adds a new version and the replaced one keeps its lock; in an unversioned bucket it
// overwrites the object.
func (s *Store) Replace(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	if err := storage.ValidateKey(key); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("s3 replace: %w", err)
	}
	if opts.SHA256 == "" {
		return storage.ObjectInfo{}, fmt.Errorf("s3 replace %q: the expected SHA-256 is required", key)
	}
	if err := storage.CheckPutOptions(opts, time.Now()); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("s3 replace %q: %w", key, err)
	}
	if opts.Retention != nil && !s.locked {
		return storage.ObjectInfo{}, fmt.Errorf("s3 replace %q: retention needs a bucket with object lock (Config.ObjectLock)", key)
	}
	sum := strings.ToLower(opts.SHA256)
	if size < 0 {
		var cleanup func()
		var err error
		var got string
		if r, size, got, cleanup, err = hashContent(ctx, r, size); err != nil {
			return storage.ObjectInfo{}, fmt.Errorf("s3 replace %q: %w", key, err)
		}
		defer cleanup()
		if got != sum {
			return storage.ObjectInfo{}, fmt.Errorf("s3 replace %q: %w: got %s, want %s", key, storage.ErrChecksum, got, sum)
		}
	}
	po, err := putOptions(sum, opts)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("s3 replace %q: %w", key, err)
	}
	body := &trackingReader{r: r, left: size}
	if _, err := s.client.PutObject(ctx, s.bucket, key, body, size, po); err != nil {
		switch {
		case body.err != nil:
			return storage.ObjectInfo{}, fmt.Errorf("s3 replace %q: reading content after %d bytes: %w", key, body.n, body.err)
		case body.n < size && body.eof:
			return storage.ObjectInfo{}, fmt.Errorf("s3 replace %q: read %d bytes, size says %d", key, body.n, size)
		}
		switch errorResponse(err).Code {
		case "XAmzContentChecksumMismatch", "BadDigest", "XAmzContentSHA256Mismatch":
			return storage.ObjectInfo{}, fmt.Errorf("s3 replace %q: %w (server says: %w)", key, storage.ErrChecksum, err)
		}
		return storage.ObjectInfo{}, fmt.Errorf("s3 replace %q: %w", key, classify(ctx, err))
	}
	info, err := s.Stat(ctx, key)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("s3 replace %q: %w", key, err)
	}
	if info.SHA256 != sum || info.Size != size {
		return storage.ObjectInfo{}, fmt.Errorf("s3 replace %q: stored SHA-256 %s, want %s", key, info.SHA256, sum)
	}
	return info, nil
}

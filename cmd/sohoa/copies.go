package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline/backuplog"
	"github.com/sohoa-vn/sohoa/pipeline/copies"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/local"
	"github.com/sohoa-vn/sohoa/storage/s3"
)

// retentionFunc returns the lock of r for an object stored at a given time, or nil for mode none.
func retentionFunc(r configs.Retention) func(time.Time) *storage.Retention {
	if r.Mode == "none" {
		return nil
	}
	return func(now time.Time) *storage.Retention {
		return &storage.Retention{Mode: r.Mode, Until: now.AddDate(r.Years, 0, 0)}
	}
}

// openCopies returns the configured copies of the archive. An S3 copy is
// opened on first use (lazyS3), so that a worker starts while a copy is down:
// the packages wait for it instead.
func openCopies(cfg *configs.Config) ([]copies.Copy, error) {
	var out []copies.Copy
	for _, cp := range cfg.Copies {
		c := copies.Copy{Name: cp.Name, Retention: retentionFunc(cp.Retention)}
		if cp.Path != "" {
			s, err := local.New(cp.Path)
			if err != nil {
				return nil, fmt.Errorf("copy %s: %w", cp.Name, err)
			}
			c.Store = s
		} else {
			c.Store = &lazyS3{cfg: s3.Config{Endpoint: cp.Endpoint, Secure: cp.Secure, Region: cp.Region, Bucket: cp.Bucket,
				AccessKey: cp.AccessKey, SecretKey: cp.SecretKey, ObjectLock: cp.Retention.Mode != "none"}}
		}
		out = append(out, c)
	}
	return out, nil
}

// archiveStores returns the primary archive store, named configs.PrimaryName,
// followed by the copies.
func archiveStores(ctx context.Context, cfg *configs.Config) ([]copies.Copy, error) {
	primary, err := s3.New(ctx, s3.Config{Endpoint: cfg.S3.Endpoint, Bucket: cfg.S3.ArchiveBucket, AccessKey: cfg.S3.AccessKey,
		SecretKey: cfg.S3.SecretKey, Secure: cfg.S3.Secure, Region: cfg.S3.Region, ObjectLock: cfg.Retention.Mode != "none"})
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	cps, err := openCopies(cfg)
	if err != nil {
		return nil, err
	}
	return append([]copies.Copy{{Name: configs.PrimaryName, Store: primary, Retention: retentionFunc(cfg.Retention)}}, cps...), nil
}

// openBackupLog returns the backup log in cfg's Redis, mirrored into stores,
// and the function closing its connection.
func openBackupLog(cfg *configs.Config, stores []copies.Copy) (*backuplog.Log, func(), error) {
	ro, err := redis.ParseURL(cfg.Redis.URL)
	if err != nil {
		return nil, nil, fmt.Errorf("redis url: %w", err)
	}
	rdb := redis.NewClient(ro)
	mirrors := map[string]storage.Store{}
	for _, s := range stores {
		mirrors[s.Name] = s.Store
	}
	return &backuplog.Log{RDB: rdb, Mirrors: mirrors}, func() { rdb.Close() }, nil
}

// lazyS3 is an S3 copy opened (bucket checked or created) on first use; until
// that succeeds every call fails with the opening's error.
type lazyS3 struct {
	cfg s3.Config
	mu  sync.Mutex
	s   *s3.Store
}

func (l *lazyS3) store(ctx context.Context) (*s3.Store, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.s != nil {
		return l.s, nil
	}
	s, err := s3.New(ctx, l.cfg)
	if err != nil {
		return nil, err
	}
	l.s = s
	return s, nil
}

func (l *lazyS3) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	s, err := l.store(ctx)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	return s.Put(ctx, key, r, size, opts)
}

func (l *lazyS3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	s, err := l.store(ctx)
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, key)
}

func (l *lazyS3) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	s, err := l.store(ctx)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	return s.Stat(ctx, key)
}

func (l *lazyS3) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	s, err := l.store(ctx)
	if err != nil {
		return err
	}
	return s.List(ctx, prefix, fn)
}

func (l *lazyS3) Delete(ctx context.Context, key string) error {
	s, err := l.store(ctx)
	if err != nil {
		return err
	}
	return s.Delete(ctx, key)
}

func (l *lazyS3) RetentionOf(ctx context.Context, key string) (*storage.Retention, error) {
	s, err := l.store(ctx)
	if err != nil {
		return nil, err
	}
	return s.RetentionOf(ctx, key)
}

func (l *lazyS3) Replace(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	s, err := l.store(ctx)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	return s.Replace(ctx, key, r, size, opts)
}

// copyLogger returns the queue's Options.BackupLog: each package copied into a
// copy becomes an entry of the backup log, mirrored into the primary archive
// and every copy. The log's Redis connection lives as long as the process.
func copyLogger(cfg *configs.Config, archive storage.Store, cps []copies.Copy) (func(context.Context, string, string, copies.Figures) error, error) {
	log, _, err := openBackupLog(cfg, append([]copies.Copy{{Name: configs.PrimaryName, Store: nil}}, cps...))
	if err != nil {
		return nil, err
	}
	log.Mirrors[configs.PrimaryName] = archive
	return func(ctx context.Context, batch, copy string, fig copies.Figures) error {
		e, err := log.Append(ctx, backuplog.Entry{Kind: backuplog.KindCopy, Store: copy, Package: batch, Objects: fig.Objects,
			Bytes: fig.Bytes, OK: true, Detail: fmt.Sprintf("%d objects verified (SHA-256, lock), %d copied now", fig.Objects, fig.Copied)})
		if err != nil && e.ID != "" {
			// In the log; a mirror (a store that is down) misses the entry.
			newLogger(os.Stderr).Warn("backup log mirror", "entry", e.ID, "error", err)
			return nil
		}
		return err
	}, nil
}

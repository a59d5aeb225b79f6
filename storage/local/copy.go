package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sohoa-vn/sohoa/storage"
)

var _ storage.CopyStore = (*Store)(nil)

// RetentionOf implements storage.CopyStore from the object's sidecar. A read-only object whose sidecar is lost
// reports an error rather than "no lock": it cannot be told apart from a locked one.
func (s *Store) RetentionOf(ctx context.Context, key string) (*storage.Retention, error) {
	if err := storage.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("local retention: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("local retention %q: %w", key, err)
	}
	fi, err := os.Stat(s.dataPath(key))
	if err != nil {
		return nil, fmt.Errorf("local retention %q: %w", key, notExist(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("local retention %q: %w", key, storage.ErrNotExist)
	}
	sc, ok := s.readSidecar(key, fi)
	switch {
	case !ok && fi.Mode().Perm()&0o200 == 0:
		return nil, fmt.Errorf("local retention %q: read-only file without retention record", key)
	case !ok || sc.RetainMode == "":
		return nil, nil
	}
	return &storage.Retention{Mode: sc.RetainMode, Until: sc.RetainUntil}, nil
}

// Replace implements storage.CopyStore: the new content is written to a temporary file, verified against
// opts.SHA256 and renamed over the object (a local folder keeps no versions).
func (s *Store) Replace(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	if err := storage.ValidateKey(key); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local replace: %w", err)
	}
	if opts.SHA256 == "" {
		return storage.ObjectInfo{}, fmt.Errorf("local replace %q: the expected SHA-256 is required", key)
	}
	if err := storage.CheckPutOptions(opts, s.clock()); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local replace %q: %w", key, err)
	}
	tmp, err := os.CreateTemp(s.tmp, "replace-*")
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local replace %q: %w", key, classify(err))
	}
	tmpName := tmp.Name()
	defer func() {
		tmp.Close()
		os.Remove(tmpName)
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), storage.ContextReader(ctx, r))
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local replace %q: after %d bytes: %w", key, n, classify(err))
	}
	if size >= 0 && n != size {
		return storage.ObjectInfo{}, fmt.Errorf("local replace %q: read %d bytes, size says %d", key, n, size)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if !strings.EqualFold(sum, opts.SHA256) {
		return storage.ObjectInfo{}, fmt.Errorf("local replace %q: %w: got %s, want %s", key, storage.ErrChecksum, sum, opts.SHA256)
	}
	mode := os.FileMode(0o644)
	if opts.Retention != nil {
		mode = 0o444
	}
	if err := tmp.Chmod(mode); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local replace %q: %w", key, classify(err))
	}
	if err := tmp.Sync(); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local replace %q: %w", key, classify(err))
	}
	fi, err := tmp.Stat()
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local replace %q: %w", key, classify(err))
	}
	if err := tmp.Close(); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local replace %q: %w", key, classify(err))
	}
	final := s.dataPath(key)
	if err := s.mkdirAll(filepath.Dir(final)); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local replace %q: %w", key, err)
	}
	if err := os.Rename(tmpName, final); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local replace %q: %w", key, classify(err))
	}
	if err := syncDir(filepath.Dir(final)); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local replace %q: %w", key, classify(err))
	}
	sc := sidecar{SHA256: sum, Size: n, ModTimeNano: fi.ModTime().UnixNano()}
	if opts.Retention != nil {
		sc.RetainMode, sc.RetainUntil = opts.Retention.Mode, opts.Retention.Until.UTC()
	}
	if err := s.writeSidecar(key, sc); err != nil && opts.Retention != nil {
		// Without its sidecar a read-only object is taken for locked anyway (Delete refuses it).
		return storage.ObjectInfo{}, fmt.Errorf("local replace %q: retention record: %w", key, err)
	}
	return storage.ObjectInfo{Key: key, Size: n, SHA256: sum, ModTime: fi.ModTime()}, nil
}

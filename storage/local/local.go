// Package local implements storage.Store with files under a directory on a local file system, for sohoa's embedded
// single-machine mode.
//
// Layout under the root directory:
//
//	<root>/<key>                   the object's bytes, one file per key ("inbox/b1/p.jpg" is <root>/inbox/b1/p.jpg)
//	<root>/.sohoa/meta/<key>.json  sidecar: SHA-256, size, modification time and retention of the object
//	<root>/.sohoa/tmp/             objects being written
//
// Keys never have segments starting with "." (storage.ValidateKey), so the .sohoa folder cannot collide with an
// object.
//
// Put writes to a temporary file while hashing, fsyncs it, then publishes it with a hard link to the final name,
// which fails if the name exists; so the object appears atomically, a crash leaves at most a stray temporary file
// (removed by New after a day), and concurrent Puts to one key cannot replace each other. The SHA-256 is kept in a
// sidecar so that Stat costs two small reads instead of re-hashing the object (scans and packages run to hundreds of
// megabytes). The sidecar records the size and modification time of the file it describes; a sidecar that is
// missing (a crash between link and sidecar write) or does not match its file is ignored and the SHA-256 recomputed,
// so Stat is never wrong, only slower.
//
// The file system must support hard links (ext4, xfs, btrfs, tmpfs do).
package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/sohoa-vn/sohoa/storage"
)

// Store is a storage.Store keeping objects as files under a root directory. Several Stores, also in different
// processes, may share one root.
type Store struct {
	root string // absolute
	meta string // <root>/.sohoa/meta
	tmp  string // <root>/.sohoa/tmp
	// now tells the time retention is checked against (time.Now when nil); tests set it to pass a
	// retention period without waiting for it.
	now func() time.Time
}

var _ storage.Store = (*Store)(nil)

// staleTemp is the age after which New removes a temporary file left by an interrupted Put.
const staleTemp = 24 * time.Hour

// New returns a Store keeping objects under root, creating the directory if needed.
func New(root string) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("local store %q: %w", root, err)
	}
	s := &Store{
		root: abs,
		meta: filepath.Join(abs, ".sohoa", "meta"),
		tmp:  filepath.Join(abs, ".sohoa", "tmp"),
	}
	for _, dir := range []string{s.root, s.meta, s.tmp} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("local store %q: %w", root, err)
		}
	}
	s.removeStaleTemps(time.Now())
	return s, nil
}

// clock returns the current time.
func (s *Store) clock() time.Time {
	if s.now == nil {
		return time.Now()
	}
	return s.now()
}

// Root returns the absolute directory holding the objects.
func (s *Store) Root() string { return s.root }

func (s *Store) removeStaleTemps(now time.Time) {
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return
	}
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && now.Sub(fi.ModTime()) > staleTemp {
			os.Remove(filepath.Join(s.tmp, e.Name()))
		}
	}
}

func (s *Store) dataPath(key string) string { return filepath.Join(s.root, filepath.FromSlash(key)) }
func (s *Store) metaPath(key string) string {
	return filepath.Join(s.meta, filepath.FromSlash(key)) + ".json"
}

// sidecar is the JSON kept next to each object in .sohoa/meta.
type sidecar struct {
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	ModTimeNano int64     `json:"mtime_ns"` // of the data file, to detect a sidecar that belongs to an older file
	RetainMode  string    `json:"retain_mode,omitempty"`
	RetainUntil time.Time `json:"retain_until,omitzero"`
}

// Put implements storage.Store.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	if err := storage.ValidateKey(key); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local put: %w", err)
	}
	if err := storage.CheckPutOptions(opts, s.clock()); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local put %q: %w", key, err)
	}
	tmp, err := os.CreateTemp(s.tmp, "put-*")
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local put %q: %w", key, classify(err))
	}
	tmpName := tmp.Name()
	defer func() {
		tmp.Close()
		os.Remove(tmpName) // the object, if published, is a second link to the same file
	}()

	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), storage.ContextReader(ctx, r))
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local put %q: after %d bytes: %w", key, n, classify(err))
	}
	if size >= 0 && n != size {
		return storage.ObjectInfo{}, fmt.Errorf("local put %q: read %d bytes, size says %d", key, n, size)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if opts.SHA256 != "" && !strings.EqualFold(sum, opts.SHA256) {
		return storage.ObjectInfo{}, fmt.Errorf("local put %q: %w: got %s, want %s", key, storage.ErrChecksum, sum, opts.SHA256)
	}
	mode := os.FileMode(0o644)
	if opts.Retention != nil {
		mode = 0o444
	}
	if err := tmp.Chmod(mode); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local put %q: %w", key, classify(err))
	}
	if err := tmp.Sync(); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local put %q: %w", key, classify(err))
	}
	fi, err := tmp.Stat()
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local put %q: %w", key, classify(err))
	}
	if err := tmp.Close(); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local put %q: %w", key, classify(err))
	}
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local put %q: %w", key, err)
	}

	final := s.dataPath(key)
	published := false
	// A concurrent Delete may remove the (empty) parent directory between MkdirAll and Link; try again then.
	for attempt := 0; attempt < 5 && !published; attempt++ {
		if err := s.mkdirAll(filepath.Dir(final)); err != nil {
			return storage.ObjectInfo{}, fmt.Errorf("local put %q: %w", key, err)
		}
		err := os.Link(tmpName, final)
		switch {
		case err == nil:
			published = true
		case errors.Is(err, fs.ErrExist):
			info, err := s.Stat(ctx, key)
			if errors.Is(err, storage.ErrNotExist) {
				continue // deleted meanwhile, or a directory: Stat treats both as missing
			}
			if err != nil {
				return storage.ObjectInfo{}, fmt.Errorf("local put %q: %w", key, err)
			}
			if info.SHA256 != sum || info.Size != n {
				return storage.ObjectInfo{}, fmt.Errorf("local put %q: %w (stored SHA-256 %s, new %s)", key, storage.ErrExists, info.SHA256, sum)
			}
			return info, nil
		case errors.Is(err, fs.ErrNotExist):
			continue
		default:
			return storage.ObjectInfo{}, fmt.Errorf("local put %q: %w", key, classify(err))
		}
	}
	if !published {
		return storage.ObjectInfo{}, fmt.Errorf("local put %q: could not publish the object (is the key used as a directory?)", key)
	}
	if err := syncDir(filepath.Dir(final)); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local put %q: %w", key, classify(err))
	}
	sc := sidecar{SHA256: sum, Size: n, ModTimeNano: fi.ModTime().UnixNano()}
	if opts.Retention != nil {
		sc.RetainMode, sc.RetainUntil = opts.Retention.Mode, opts.Retention.Until.UTC()
	}
	// The object is published; a failed sidecar write only makes Stat recompute the SHA-256.
	_ = s.writeSidecar(key, sc)
	return storage.ObjectInfo{Key: key, Size: n, SHA256: sum, ModTime: fi.ModTime()}, nil
}

// mkdirAll creates dir and its parents below root, reporting a key used as a directory of an existing object
// clearly.
func (s *Store) mkdirAll(dir string) error {
	err := os.MkdirAll(dir, 0o755)
	if err != nil && errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("a parent of the key is an existing object: %w", err)
	}
	return classify(err)
}

func (s *Store) writeSidecar(key string, sc sidecar) error {
	b, err := json.Marshal(sc)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(s.tmp, "meta-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	mp := s.metaPath(key)
	for attempt := 0; ; attempt++ {
		if err = os.MkdirAll(filepath.Dir(mp), 0o755); err == nil {
			if err = os.Rename(f.Name(), mp); err == nil {
				return syncDir(filepath.Dir(mp))
			}
		}
		if !errors.Is(err, fs.ErrNotExist) || attempt == 4 {
			return err
		}
	}
}

// readSidecar returns the sidecar of key if it exists and describes the file fi.
func (s *Store) readSidecar(key string, fi fs.FileInfo) (sidecar, bool) {
	b, err := os.ReadFile(s.metaPath(key))
	if err != nil {
		return sidecar{}, false
	}
	var sc sidecar
	if json.Unmarshal(b, &sc) != nil || sc.Size != fi.Size() || sc.ModTimeNano != fi.ModTime().UnixNano() || len(sc.SHA256) != 64 {
		return sidecar{}, false
	}
	return sc, true
}

// Get implements storage.Store. The returned reader is an *os.File.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := storage.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("local get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("local get %q: %w", key, err)
	}
	f, err := os.Open(s.dataPath(key))
	if err != nil {
		return nil, fmt.Errorf("local get %q: %w", key, notExist(err))
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("local get %q: %w", key, storage.ErrNotExist)
	}
	return f, nil
}

// Stat implements storage.Store.
func (s *Store) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	if err := storage.ValidateKey(key); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local stat: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local stat %q: %w", key, err)
	}
	fi, err := os.Stat(s.dataPath(key))
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local stat %q: %w", key, notExist(err))
	}
	if !fi.Mode().IsRegular() {
		return storage.ObjectInfo{}, fmt.Errorf("local stat %q: %w", key, storage.ErrNotExist)
	}
	info := storage.ObjectInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}
	if sc, ok := s.readSidecar(key, fi); ok {
		info.SHA256 = sc.SHA256
		return info, nil
	}
	// No valid sidecar: recompute, and repair the sidecar of an ordinary (not retained) object.
	sum, err := s.hashFile(ctx, key)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local stat %q: %w", key, err)
	}
	info.SHA256 = sum
	if fi.Mode().Perm()&0o200 != 0 {
		_ = s.writeSidecar(key, sidecar{SHA256: sum, Size: fi.Size(), ModTimeNano: fi.ModTime().UnixNano()})
	}
	return info, nil
}

func (s *Store) hashFile(ctx context.Context, key string) (string, error) {
	f, err := os.Open(s.dataPath(key))
	if err != nil {
		return "", notExist(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, storage.ContextReader(ctx, f)); err != nil {
		return "", classify(err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// List implements storage.Store. It walks the directories below the prefix, visiting entries in an order that
// yields keys in byte-wise lexical order without collecting them (a directory "a" sorts as "a/").
func (s *Store) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	if !storage.ValidPrefix(prefix) {
		return nil
	}
	dir := ""
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		dir = prefix[:i]
	}
	return s.walk(ctx, dir, prefix, fn)
}

type errFromFn struct{ err error }

func (e errFromFn) Error() string { return e.err.Error() }

func (s *Store) walk(ctx context.Context, dir, prefix string, fn func(storage.ObjectInfo) error) error {
	err := s.walkDir(ctx, dir, prefix, fn)
	var fe errFromFn
	if errors.As(err, &fe) {
		return fe.err
	}
	return err
}

func (s *Store) walkDir(ctx context.Context, dir, prefix string, fn func(storage.ObjectInfo) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local list %q: %w", prefix, err)
	}
	entries, err := os.ReadDir(filepath.Join(s.root, filepath.FromSlash(dir)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil // deleted meanwhile, or the prefix names no directory
		}
		return fmt.Errorf("local list %q: %w", prefix, classify(err))
	}
	sortName := func(e fs.DirEntry) string {
		if e.IsDir() {
			return e.Name() + "/"
		}
		return e.Name()
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(sortName(a), sortName(b)) })
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		key := path.Join(dir, e.Name())
		if e.IsDir() {
			sub := key + "/"
			if strings.HasPrefix(sub, prefix) || strings.HasPrefix(prefix, sub) {
				if err := s.walkDir(ctx, key, prefix, fn); err != nil {
					return err
				}
			}
			continue
		}
		if !e.Type().IsRegular() || !strings.HasPrefix(key, prefix) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // deleted meanwhile
		}
		if err := fn(storage.ObjectInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
			return errFromFn{err}
		}
	}
	return nil
}

// Delete implements storage.Store. An object put with a retention that has not expired is refused with
// storage.ErrLocked; so is a read-only object whose sidecar is lost, to be safe.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := storage.ValidateKey(key); err != nil {
		return fmt.Errorf("local delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local delete %q: %w", key, err)
	}
	dp := s.dataPath(key)
	fi, err := os.Stat(dp)
	if err != nil {
		if errors.Is(notExist(err), storage.ErrNotExist) {
			os.Remove(s.metaPath(key)) // a stray sidecar
			return nil
		}
		return fmt.Errorf("local delete %q: %w", key, classify(err))
	}
	if !fi.Mode().IsRegular() {
		return nil // a "directory" of other keys, not an object
	}
	if fi.Mode().Perm()&0o200 == 0 {
		sc, ok := s.readSidecar(key, fi)
		if !ok {
			return fmt.Errorf("local delete %q: %w (read-only file without retention record)", key, storage.ErrLocked)
		}
		if sc.RetainMode != "" && s.clock().Before(sc.RetainUntil) {
			return fmt.Errorf("local delete %q: %w (%s until %s)", key, storage.ErrLocked, sc.RetainMode, sc.RetainUntil.Format(time.RFC3339))
		}
	}
	if err := os.Remove(dp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("local delete %q: %w", key, classify(err))
	}
	if err := os.Remove(s.metaPath(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("local delete %q: sidecar: %w", key, classify(err))
	}
	s.removeEmptyParents(s.root, filepath.Dir(dp))
	s.removeEmptyParents(s.meta, filepath.Dir(s.metaPath(key)))
	return nil
}

// removeEmptyParents removes dir and its parents up to (not including) top while they are empty. os.Remove refuses a
// non-empty directory, so a concurrent Put loses nothing (it retries its link).
func (s *Store) removeEmptyParents(top, dir string) {
	for dir != top && strings.HasPrefix(dir, top+string(filepath.Separator)) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// notExist maps a missing file, or a missing parent (a path through a file), to storage.ErrNotExist.
func notExist(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w: %w", storage.ErrNotExist, err)
	}
	return classify(err)
}

// classify marks the few file system errors that go away by themselves as transient.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.EINTR), errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EMFILE),
		errors.Is(err, syscall.ENFILE), errors.Is(err, syscall.EBUSY):
		return storage.Transient(err)
	}
	return err
}

package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// CountingReader counts the bytes read through it: N is the number read from R so far.
type CountingReader struct {
	R io.Reader
	N int64
}

// Read implements io.Reader.
func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N += int64(n)
	return n, err
}

// ContextReader returns a reader that reads from r until ctx is done, and from then on fails with ctx's error, so
// that a long copy stops when its context is cancelled.
func ContextReader(ctx context.Context, r io.Reader) io.Reader {
	return ctxReader{ctx, r}
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// DownloadOptions controls Download.
type DownloadOptions struct {
	// SHA256 is the expected SHA-256 of the object, in hex; empty for no check.
	SHA256 string
	// Progress, when set, is called with the number of bytes of every write to the file.
	Progress func(int64)
}

// Download copies the object at key in s to the file dst, creating dst's folder. The content goes to a temporary
// file beside dst that is renamed to dst only once complete and, when opts.SHA256 is set, found to match it; on any
// failure nothing is left at dst or beside it. The returned ObjectInfo has Key, Size and the SHA-256 of the content
// read, also when the download fails with an error wrapping ErrChecksum.
func Download(ctx context.Context, s Store, key, dst string, opts DownloadOptions) (ObjectInfo, error) {
	info := ObjectInfo{Key: key}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return info, fmt.Errorf("download %s: %w", key, err)
	}
	r, err := s.Get(ctx, key)
	if err != nil {
		return info, fmt.Errorf("get %s: %w", key, err)
	}
	defer r.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".download-*")
	if err != nil {
		return info, fmt.Errorf("download %s: %w", key, err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	h := sha256.New()
	var w io.Writer = io.MultiWriter(tmp, h)
	if opts.Progress != nil {
		w = io.MultiWriter(tmp, h, progressWriter(opts.Progress))
	}
	info.Size, err = io.Copy(w, ContextReader(ctx, r))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return info, fmt.Errorf("get %s: %w", key, err)
	}
	info.SHA256 = hex.EncodeToString(h.Sum(nil))
	if opts.SHA256 != "" && info.SHA256 != opts.SHA256 {
		return info, fmt.Errorf("get %s: SHA-256 %s, want %s: %w", key, info.SHA256, opts.SHA256, ErrChecksum)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return info, fmt.Errorf("download %s: %w", key, err)
	}
	return info, nil
}

// progressWriter reports the length of every write to the function.
type progressWriter func(int64)

func (p progressWriter) Write(b []byte) (int, error) {
	p(int64(len(b)))
	return len(b), nil
}

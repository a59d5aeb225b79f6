// Package copies keeps the independent copies of the archive that TT 05/2025
// Art. 27 asks for (at least two backup sets, each on an independent medium):
// the primary archive store and one or more copies, each a storage.CopyStore
// with its own credentials and retention. Replicate brings a copy up to date
// with the primary for a prefix (a package), verifying every object's SHA-256
// and lock in the copy; a package counts as kept only once it is in every copy.
package copies

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sohoa-vn/sohoa/storage"
)

// Copy is one archive store other than the primary.
type Copy struct {
	// Name identifies the copy in logs, status and records ("ban-sao-1").
	Name string
	// Store holds the copy.
	Store storage.CopyStore
	// Retention gives the lock of an object copied at now; nil means none.
	Retention func(now time.Time) *storage.Retention
}

// Figures count what Replicate did.
type Figures struct {
	Objects int   // objects of the prefix, all verified in the copy
	Copied  int   // of those, copied now
	Bytes   int64 // bytes copied now
}

// ErrDiffers means the copy holds a different object under a key of the
// primary: Replicate never overwrites it (fixity decides which is intact).
var ErrDiffers = errors.New("the copy holds a different object")

// ErrNotLocked means an object of the copy has no lock although the copy's
// retention asks for one.
var ErrNotLocked = errors.New("object in the copy is not locked")

// Replicate copies every object of src whose key starts with prefix into dst
// when it is missing there, and verifies each in dst: same SHA-256 as in src
// (the copy's Put verifies the content against it) and, when dst has a
// retention, locked. It stops at the first error, wrapped with the copy's name
// and the key; a copy that cannot be reached gives an error satisfying
// storage.IsTransient.
func Replicate(ctx context.Context, src storage.Store, dst Copy, prefix string, now time.Time) (Figures, error) {
	var fig Figures
	var keys []string
	if err := src.List(ctx, prefix, func(o storage.ObjectInfo) error { keys = append(keys, o.Key); return nil }); err != nil {
		return fig, fmt.Errorf("copy %s: listing the primary: %w", dst.Name, err)
	}
	for _, key := range keys {
		n, err := replicateObject(ctx, src, dst, key, now)
		if err != nil {
			return fig, fmt.Errorf("copy %s: %s: %w", dst.Name, key, err)
		}
		fig.Objects++
		if n >= 0 {
			fig.Copied++
			fig.Bytes += n
		}
	}
	return fig, nil
}

// replicateObject makes dst hold src's object key, verified; it returns the
// bytes copied, or -1 when the copy already held it.
func replicateObject(ctx context.Context, src storage.Store, dst Copy, key string, now time.Time) (int64, error) {
	want, err := src.Stat(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("primary: %w", err)
	}
	var ret *storage.Retention
	if dst.Retention != nil {
		ret = dst.Retention(now)
	}
	copied := int64(-1)
	got, err := dst.Store.Stat(ctx, key)
	switch {
	case errors.Is(err, storage.ErrNotExist):
		if got, err = Transfer(ctx, src, dst.Store, key, want.SHA256, want.Size, ret, false); err != nil {
			return 0, err
		}
		copied = got.Size
	case err != nil:
		return 0, err
	}
	if got.SHA256 != want.SHA256 || got.Size != want.Size {
		return 0, fmt.Errorf("%w (SHA-256 %s, primary %s)", ErrDiffers, got.SHA256, want.SHA256)
	}
	if ret != nil {
		lock, err := dst.Store.RetentionOf(ctx, key)
		if err != nil {
			return 0, err
		}
		if lock == nil {
			return 0, ErrNotLocked
		}
	}
	return copied, nil
}

// Transfer streams the object key from src into dst, verified against sum,
// with retention ret: with Put, or with Replace when replace is set (a repair
// of an altered object).
func Transfer(ctx context.Context, src storage.Store, dst storage.CopyStore, key, sum string, size int64, ret *storage.Retention, replace bool) (storage.ObjectInfo, error) {
	r, err := src.Get(ctx, key)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("reading: %w", err)
	}
	defer r.Close()
	opts := storage.PutOptions{SHA256: sum, Retention: ret}
	var info storage.ObjectInfo
	if replace {
		info, err = dst.Replace(ctx, key, r, size, opts)
	} else {
		info, err = dst.Put(ctx, key, r, size, opts)
	}
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("writing: %w", err)
	}
	return info, nil
}

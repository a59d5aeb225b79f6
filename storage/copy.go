package storage

import (
	"context"
	"io"
)

// CopyStore is a Store that can hold one copy of the archive (TT 05/2025 Art. 27: at least two backup sets on
// independent media). Besides the Store contract it can report an object's lock, so that a copy is verified to be
// locked and not only stored, and it can repair an object that was found altered.
//
// The contract, which storagetest.RunCopy checks (in addition to storagetest.Run):
//
//   - RetentionOf returns the retention an object was stored with (Mode and Until as given to Put or Replace, Until
//     to the second), or nil when it has none. A missing key gives [ErrNotExist].
//   - Replace stores size bytes read from r under key whether or not an object is stored there, and is the only way
//     to change a stored object. It is for repairs: the content must be verified (PutOptions.SHA256 is required, and a
//     mismatch fails with [ErrChecksum] and changes nothing). Where the backend keeps versions (a locked S3 bucket)
//     the content becomes a new current version and the replaced one stays as an earlier version under its own
//     lock; elsewhere it is overwritten atomically: a concurrent Get sees the old or the new object, never a mix.
//     Retention in opts applies to the new content.
type CopyStore interface {
	Store
	// RetentionOf returns the lock on the object at key, or nil when it has none.
	RetentionOf(ctx context.Context, key string) (*Retention, error)
	// Replace stores the content under key even when another object is stored there (a repair).
	Replace(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions) (ObjectInfo, error)
}

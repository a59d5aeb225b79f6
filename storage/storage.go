// Package storage defines where sohoa keeps objects (originals, page results, packages) and the contract every backend meets.
//
// Two backends implement [Store]: storage/local (files under a directory, for the embedded single-machine mode) and
// storage/s3 (an S3 bucket shared by many workers, MinIO in tests). Both pass the conformance suite in
// storage/storagetest. [WithRetry] wraps any Store to retry transient faults.
package storage

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Store is a flat namespace of immutable-once-written objects addressed by slash-separated keys
// ("inbox/b1/H49.../1/p.jpg"). All methods are safe for concurrent use, also by several processes or
// machines sharing the same backend.
//
// Keys must pass [ValidateKey]: non-empty, at most 1024 bytes of UTF-8, segments separated by single slashes, no
// empty segment, no segment starting with "." (so "." and ".." are impossible and backends may keep private data
// under dot names), no control character or backslash. A key must not also be used as a "directory" of another key
// ("a/b" and "a/b/c" together): storage/local cannot store both and refuses the second Put. Methods given an
// invalid key fail with an error wrapping [ErrInvalidKey].
//
// The contract, which storagetest.Run checks:
//
//   - Put reads exactly size bytes from r (size -1 means "unknown, read to EOF"; a different byte count is an
//     error) and stores them under key. The object appears atomically: a concurrent Get, Stat or List sees either no
//     object or the complete one, never a partial object. A Put that fails or is interrupted (reader error, context
//     cancelled, process killed, connection lost) leaves no object behind.
//   - Objects are immutable. Put of the same bytes to an existing key succeeds without writing a duplicate and
//     returns the stored object's info (so a retried Put is harmless); Put of different bytes to an existing key fails
//     with an error wrapping [ErrExists] and leaves the stored object untouched. Of several concurrent Puts of different
//     bytes to one key exactly one wins.
//   - When PutOptions.SHA256 is set, the content is verified against it before the object becomes visible (by the
//     server for S3, which receives it as x-amz-checksum-sha256); on mismatch Put fails with an error wrapping
//     [ErrChecksum] and stores nothing. The returned ObjectInfo always carries the SHA-256 of the stored content.
//     Its ModTime is the stored object's when the object was already there; for a new object it is about when the
//     object was stored and may come from the caller's clock when the backend acknowledged the write (S3 answers a
//     PUT without the object's Last-Modified), so it need not equal what Stat and List report.
//   - Get returns the content as a stream; the caller must close it. Get of a missing key fails with an error wrapping
//     [ErrNotExist].
//   - Stat returns Key, Size, SHA256 (lower-case hex) and ModTime without reading the content; a missing key gives
//     [ErrNotExist].
//   - List calls fn for every object whose key starts with prefix (a plain string prefix, not only whole segments;
//     "" lists everything), one at a time, in lexical (byte-wise) key order. The ObjectInfo passed to fn has Key, Size
//     and ModTime; SHA256 is left empty (use Stat). If fn returns an error, List stops and returns that error
//     unchanged. An object put or deleted during List may or may not be reported.
//   - Delete removes the object; Delete of a missing key is not an error. Delete of an object under retention fails
//     with an error wrapping [ErrLocked].
//   - Errors from transient faults (network failure, server down or overloaded, 5xx, timeouts) satisfy [IsTransient];
//     retrying the same call later may succeed. All other errors (missing object, checksum mismatch, bad key, access
//     denied, cancelled context) are permanent: retrying the same call cannot help.
type Store interface {
	// Put stores size bytes read from r under key. See the Store documentation for the contract.
	Put(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions) (ObjectInfo, error)
	// Get opens the object at key for reading. The caller must close the returned reader.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat returns the size, SHA-256 and modification time of the object at key.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// List calls fn for each object whose key starts with prefix, in lexical key order.
	List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error
	// Delete removes the object at key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// PutOptions controls how Put stores an object.
type PutOptions struct {
	// SHA256 is the expected SHA-256 of the content, in hex. When set, the store verifies the content against it
	// (S3: x-amz-checksum-sha256, verified server-side) and refuses the object on mismatch.
	SHA256 string
	// ContentType is the media type recorded with the object (S3 only; storage/local ignores it).
	ContentType string
	// Absent says that the caller has just found no object under key (Stat gave ErrNotExist, or a listing of its
	// prefix did not name it, and nobody else writes there meanwhile), so a backend that would
	// look for one before sending the content (storage/s3, for objects over 1 MiB) need not. It changes no outcome: an
	// object stored in between is still found and compared as the contract says.
	Absent bool
	// Retention puts the object under a write-once retention lock until Retention.Until (S3: object lock, which needs
	// a bucket created with object locking; local: a read-only file that Delete refuses to remove). Nil means none.
	Retention *Retention
}

// Retention describes an object lock.
type Retention struct {
	// Mode is "GOVERNANCE" or "COMPLIANCE" (see the S3 object lock documentation).
	Mode string
	// Until is when the lock ends; it must be in the future when the object is put.
	Until time.Time
}

// Retention modes.
const (
	Governance = "GOVERNANCE"
	Compliance = "COMPLIANCE"
)

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key     string
	Size    int64
	SHA256  string // lower-case hex; empty in List results
	ModTime time.Time
}

// Errors reported by stores. Backends wrap them with context, so test for them with errors.Is.
var (
	// ErrNotExist means the object does not exist.
	ErrNotExist = errors.New("storage: object does not exist")
	// ErrExists means a different object is already stored under the key.
	ErrExists = errors.New("storage: a different object exists under this key")
	// ErrChecksum means the content does not match the SHA-256 given in PutOptions.
	ErrChecksum = errors.New("storage: content does not match the expected SHA-256")
	// ErrLocked means the object is under retention and cannot be deleted.
	ErrLocked = errors.New("storage: object is under retention")
	// ErrInvalidKey means a key does not satisfy ValidateKey.
	ErrInvalidKey = errors.New("storage: invalid key")
	// ErrTransient marks errors from transient faults; see IsTransient and Transient.
	ErrTransient = errors.New("storage: transient failure")
)

// IsTransient reports whether err comes from a transient fault (network failure, server down or overloaded,
// timeout), so that retrying the same call later may succeed. It is errors.Is(err, ErrTransient).
func IsTransient(err error) bool {
	return errors.Is(err, ErrTransient)
}

// Transient marks err as transient: IsTransient reports true for the result, whose message is err's and which
// still wraps err. Transient(nil) is nil. Backends use it to classify their errors.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return transientError{err}
}

type transientError struct{ err error }

func (e transientError) Error() string   { return e.err.Error() }
func (e transientError) Unwrap() []error { return []error{e.err, ErrTransient} }

// MaxKeyLen is the longest key, in bytes, a Store accepts (the S3 limit).
const MaxKeyLen = 1024

// maxSegmentLen is the longest key segment: a file name on common file systems.
const maxSegmentLen = 255

// ValidateKey reports whether key is acceptable to every Store: non-empty, at most MaxKeyLen bytes of valid UTF-8,
// slash-separated segments that are non-empty, at most 255 bytes, and do not start with "."; no leading or trailing
// slash, no backslash and no control character. The error wraps ErrInvalidKey.
func ValidateKey(key string) error {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrInvalidKey, key, why) }
	switch {
	case key == "":
		return bad("empty")
	case len(key) > MaxKeyLen:
		return bad(fmt.Sprintf("longer than %d bytes", MaxKeyLen))
	case !utf8.ValidString(key):
		return bad("not valid UTF-8")
	case strings.HasPrefix(key, "/"):
		return bad("absolute (starts with a slash)")
	case strings.HasSuffix(key, "/"):
		return bad("ends with a slash")
	}
	for _, c := range key {
		if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) {
			return bad("contains a control character")
		}
		if c == '\\' {
			return bad("contains a backslash")
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch {
		case seg == "":
			return bad("empty segment (double slash)")
		case seg == "." || seg == "..":
			return bad(fmt.Sprintf("segment %q", seg))
		case strings.HasPrefix(seg, "."):
			return bad(fmt.Sprintf("segment %q starts with a dot (reserved)", seg))
		case len(seg) > maxSegmentLen:
			return bad(fmt.Sprintf("segment longer than %d bytes", maxSegmentLen))
		}
	}
	return nil
}

// ValidPrefix reports whether some valid key starts with prefix. List returns at once for other prefixes.
func ValidPrefix(prefix string) bool {
	return prefix == "" || ValidateKey(prefix) == nil || ValidateKey(prefix+"x") == nil
}

// CheckPutOptions validates opts: SHA256 empty or 64 hex digits, Retention nil or a known mode with a future Until
// (relative to now). Backends call it at the start of Put.
func CheckPutOptions(opts PutOptions, now time.Time) error {
	if opts.SHA256 != "" {
		if b, err := hex.DecodeString(opts.SHA256); err != nil || len(b) != 32 {
			return fmt.Errorf("storage: PutOptions.SHA256 %q is not 64 hex digits", opts.SHA256)
		}
	}
	if r := opts.Retention; r != nil {
		if r.Mode != Governance && r.Mode != Compliance {
			return fmt.Errorf("storage: retention mode %q is neither %s nor %s", r.Mode, Governance, Compliance)
		}
		if !r.Until.After(now) {
			return fmt.Errorf("storage: retention until %s is not in the future", r.Until.Format(time.RFC3339))
		}
	}
	return nil
}

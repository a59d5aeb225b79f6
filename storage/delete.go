package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// BatchDeleter is a Store that deletes many objects in one call (S3: DeleteObjects, a request per 1000 keys instead
// of one per key). Use it through [DeleteAll], which falls back to Delete for other stores.
//
// The contract, which storagetest.RunDeleteAll checks through DeleteAll (in addition to storagetest.Run):
//
//   - DeleteMany removes the object at every key, as Delete would one by one: a missing key is not an error, keys may
//     repeat and come in any order, and an empty list does nothing.
//   - It returns nil when every key is gone. Otherwise it returns an error wrapping one [*KeyError] for each key that
//     it could not delete or does not know to be deleted (a request that failed as a whole leaves a KeyError on each
//     of its keys), carrying the error Delete would give for that key: [ErrInvalidKey], [ErrLocked], a transient
//     fault ([IsTransient]), the context's error. The other keys are deleted all the same; [KeyErrors] lists the
//     failed ones.
type BatchDeleter interface {
	Store
	// DeleteMany removes the objects at keys. See the BatchDeleter documentation for the contract.
	DeleteMany(ctx context.Context, keys []string) error
}

// KeyError is the failure to delete one key of a DeleteMany or DeleteAll.
type KeyError struct {
	Key string
	Err error
}

func (e *KeyError) Error() string { return fmt.Sprintf("%q: %v", e.Key, e.Err) }
func (e *KeyError) Unwrap() error { return e.Err }

// JoinKeyErrors returns the error of a DeleteMany that failed for the keys of errs: nil when errs is empty, else one
// error wrapping each, sorted by key, whose message names how many keys failed. Backends use it.
func JoinKeyErrors(errs []*KeyError) error {
	if len(errs) == 0 {
		return nil
	}
	slices.SortFunc(errs, func(a, b *KeyError) int { return strings.Compare(a.Key, b.Key) })
	wrapped := make([]error, len(errs))
	for i, e := range errs {
		wrapped[i] = e
	}
	return &keyErrors{errs: wrapped}
}

type keyErrors struct{ errs []error }

// keyErrorsShown is how many keys the message of a keyErrors names.
const keyErrorsShown = 3

func (e *keyErrors) Error() string {
	var msgs []string
	for _, err := range e.errs[:min(len(e.errs), keyErrorsShown)] {
		msgs = append(msgs, err.Error())
	}
	if n := len(e.errs) - keyErrorsShown; n > 0 {
		msgs = append(msgs, fmt.Sprintf("and %d more", n))
	}
	return fmt.Sprintf("%d key(s) not deleted: %s", len(e.errs), strings.Join(msgs, "; "))
}

func (e *keyErrors) Unwrap() []error { return e.errs }

// KeyErrors returns the per-key errors that err (from DeleteMany or DeleteAll) wraps, sorted by key.
func KeyErrors(err error) []*KeyError {
	var out []*KeyError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *KeyError:
			out = append(out, e)
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	slices.SortFunc(out, func(a, b *KeyError) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// DeleteAll removes the objects at keys from s, as the BatchDeleter contract says: with DeleteMany when s is a
// BatchDeleter, else with one Delete per key (all are tried; each failure becomes a KeyError).
func DeleteAll(ctx context.Context, s Store, keys []string) error {
	if bd, ok := s.(BatchDeleter); ok {
		return bd.DeleteMany(ctx, keys)
	}
	var errs []*KeyError
	for _, k := range keys {
		if err := s.Delete(ctx, k); err != nil {
			errs = append(errs, &KeyError{Key: k, Err: err})
		}
	}
	return JoinKeyErrors(errs)
}

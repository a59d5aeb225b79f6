package s3

import (
	"context"
	"errors"
	"slices"

	"github.com/minio/minio-go/v7"

	"github.com/sohoa-vn/sohoa/storage"
)

var _ storage.BatchDeleter = (*Store)(nil)

// errUnconfirmed is the error of a key that a DeleteObjects request did not report on (transient: asking again may
// tell).
var errUnconfirmed = errors.New("the server did not confirm the deletion")

// DeleteMany implements storage.BatchDeleter with S3 DeleteObjects (minio-go's RemoveObjects): one request per 1000
// keys. A key counts as deleted only when the server's answer lists it as deleted (or missing); every other key gets
// a storage.KeyError. In a versioned (or locked) bucket each key's versions are removed one by one, as Delete does.
func (s *Store) DeleteMany(ctx context.Context, keys []string) error {
	var errs []*storage.KeyError
	var valid []string
	for _, k := range keys {
		if err := storage.ValidateKey(k); err != nil {
			errs = append(errs, &storage.KeyError{Key: k, Err: err})
		} else {
			valid = append(valid, k)
		}
	}
	slices.Sort(valid)
	valid = slices.Compact(valid)
	if s.versioned {
		for _, k := range valid {
			if err := s.Delete(ctx, k); err != nil {
				errs = append(errs, &storage.KeyError{Key: k, Err: err})
			}
		}
		return storage.JoinKeyErrors(errs)
	}
	if len(valid) == 0 {
		return storage.JoinKeyErrors(errs)
	}
	objects := func(yield func(minio.ObjectInfo) bool) {
		for _, k := range valid {
			if !yield(minio.ObjectInfo{Key: k}) {
				return
			}
		}
	}
	pending := make(map[string]error, len(valid)) // key -> why it is not known to be deleted
	for _, k := range valid {
		pending[k] = storage.Transient(errUnconfirmed)
	}
	results, err := s.client.RemoveObjectsWithIter(ctx, s.bucket, objects, minio.RemoveObjectsOptions{})
	if err != nil {
		for k := range pending {
			pending[k] = classify(ctx, err)
		}
	} else {
		for r := range results {
			if _, ok := pending[r.ObjectName]; !ok {
				continue // not a key of ours (an answer it could not parse, say): the keys stay unconfirmed
			}
			if r.Err == nil {
				delete(pending, r.ObjectName)
				continue
			}
			if err := s.mapErr(ctx, r.Err); errors.Is(err, storage.ErrNotExist) {
				delete(pending, r.ObjectName)
			} else {
				pending[r.ObjectName] = err
			}
		}
	}
	if ctx.Err() != nil {
		for k, err := range pending {
			if errors.Is(err, errUnconfirmed) {
				pending[k] = ctx.Err()
			}
		}
	}
	for k, err := range pending {
		errs = append(errs, &storage.KeyError{Key: k, Err: err})
	}
	return storage.JoinKeyErrors(errs)
}

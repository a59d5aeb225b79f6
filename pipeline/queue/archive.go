package queue

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

	"golang.org/x/sync/errgroup"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/storage"
)

// archivePuts is how many objects of a package are stored at once: the
// package's last step waits on round trips to the store, not on the CPU.
const archivePuts = 16

// archive writes the bag at dir to the archive store under id/, with
// retention ret. Objects already there that are not part of this bag, or
// differ, are deleted first: they are left from an incomplete package (never
// locked) that this one replaces. With ret set every unlocked object is
// rewritten so that the whole package is locked; locked ones were written by
// an earlier delivery of this same package and are kept, and must be equal.
// Files listed in a manifest of the bag are not hashed again: the store
// checks each body against the manifest's SHA-256 and refuses a mismatch.
// Objects stored early (archiveEarly, nil for none) are waited for
// first, then treated as objects already there, kept when equal.
func (q *Queue) archive(ctx context.Context, id, dir string, ret *storage.Retention, early *earlyPuts) error {
	stored, err := early.wait()
	if err != nil {
		return err
	}
	files, sums, err := bagFiles(dir, id)
	if err != nil {
		return err
	}
	sum := func(key string) (string, error) {
		if s, ok := sums[key]; ok {
			return s, nil
		}
		s, _, err := bag.HashFile(files[key])
		return s, err
	}
	var old []string
	if err := q.stores.Archive.List(ctx, id+"/", func(o storage.ObjectInfo) error { old = append(old, o.Key); return nil }); err != nil {
		return err
	}
	kept := map[string]bool{}    // equal objects there already
	present := map[string]bool{} // other objects there still (locked)
	for _, key := range old {
		if _, ok := files[key]; ok && ret == nil {
			s, err := sum(key)
			if err != nil {
				return err
			}
			have, ok := stored[key]
			if !ok {
				info, err := q.stores.Archive.Stat(ctx, key)
				if err != nil {
					return err
				}
				have = info.SHA256
			}
			if s == have {
				kept[key] = true
				continue
			}
		}
		if err := q.stores.Archive.Delete(ctx, key); errors.Is(err, storage.ErrLocked) {
			present[key] = true
		} else if err != nil {
			return fmt.Errorf("replacing the incomplete package: %w", err)
		}
	}
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	put := func(ctx context.Context, key string) error {
		s, err := sum(key)
		if err != nil {
			return err
		}
		// The listing did not name it, or it was deleted since: a large
		// object goes without a look first (PutOptions.Absent).
		return putFile(ctx, q.stores.Archive, key, files[key], s, ret, !present[key])
	}
	// The bag's tag manifest is stored last, once every other object is: a
	// package whose tag manifest is in the archive is whole.
	last := path.Join(id, bag.TagManifestFile)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(archivePuts)
	for _, key := range keys {
		if key != last && !kept[key] {
			g.Go(func() error { return put(gctx, key) })
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if _, ok := files[last]; !ok {
		return nil
	}
	return put(ctx, last)
}

// bagFiles returns the files under dir by their key under prefix, and the
// SHA-256 of those listed in a manifest or tag manifest of a bag under dir.
func bagFiles(dir, prefix string) (files, sums map[string]string, err error) {
	files, sums = map[string]string{}, map[string]string{}
	err = filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		key := path.Join(prefix, filepath.ToSlash(rel))
		files[key] = p
		if n := de.Name(); n == "manifest-sha256.txt" || n == "tagmanifest-sha256.txt" {
			m, err := bag.ReadManifest(p)
			if err != nil {
				return err
			}
			for f, s := range m {
				sums[path.Join(path.Dir(key), f)] = s
			}
		}
		return nil
	})
	return files, sums, err
}

// putFile stores the file name, whose SHA-256 is sum, under key; an equal
// object already there is kept, a different one is an error. absent says
// the caller found no object under key (PutOptions.Absent).
func putFile(ctx context.Context, s storage.Store, key, name, sum string, ret *storage.Retention, absent bool) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = s.Put(ctx, key, f, fi.Size(), storage.PutOptions{SHA256: sum, Retention: ret, Absent: absent})
	return err
}

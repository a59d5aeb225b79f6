package copies

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/aip"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/backuplog"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/pades"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/storage"
)

// Packages returns the ids of the packages (batch ids) held in s, sorted: the
// first segment of every key (the second under aip/, where a batch's
// AIP_hoso zips are), except the seal chain, the backup log and the audit
// trail's mirror.
func Packages(ctx context.Context, s storage.Store) ([]string, error) {
	seen := map[string]bool{}
	err := s.List(ctx, "", func(o storage.ObjectInfo) error {
		if strings.HasPrefix(o.Key, seal.StoreChainPrefix) || strings.HasPrefix(o.Key, backuplog.MirrorPrefix) ||
			strings.HasPrefix(o.Key, audit.ArchivePrefix) {
			return nil
		}
		if id, _, ok := strings.Cut(strings.TrimPrefix(o.Key, aip.ArchivePrefix), "/"); ok {
			seen[id] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing packages: %w", err)
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}

// Restored is what Restore did with one package.
type Restored struct {
	ID      string
	Objects int   // objects of the package, and of its audit trail's mirror, in the source copy
	Missing int   // of those, absent from the target before the restore (dry run: would be copied)
	Bytes   int64 // bytes copied
	Err     error // the package could not be restored or did not verify
}

// RestoreOptions controls Restore.
type RestoreOptions struct {
	// DryRun only lists, per package, the objects the target lacks.
	DryRun bool
	// Roots are the organisation's CA certificates for VerifyPackage; without
	// them a sealed package does not pass (its signer cannot be trusted).
	Roots *x509.CertPool
	// Trust binds the signers to the organisation (seal.Trust); without it a
	// sealed package does not pass either ("not checked").
	Trust *seal.Trust
	// TempDir is where packages are downloaded to be verified; default os.TempDir().
	TempDir string
}

// Restore rebuilds the store to from the copy from: each package ids (every
// package of from when ids is empty) is copied with Replicate (verified
// SHA-256 and lock), with its audit trail's mirror, then read back from to
// and verified with VerifyPackage; the seal chain is copied too. A package that fails is reported in its
// Restored and the next one goes on; the error is for a copy that cannot be
// listed or a cancelled context.
func Restore(ctx context.Context, from storage.Store, to Copy, ids []string, opts RestoreOptions) ([]Restored, error) {
	if len(ids) == 0 {
		var err error
		if ids, err = Packages(ctx, from); err != nil {
			return nil, err
		}
	}
	now := time.Now()
	var out []Restored
	for _, id := range ids {
		r := Restored{ID: id}
		var keys []string
		for _, prefix := range batchPrefixes(id) {
			if err := from.List(ctx, prefix, func(o storage.ObjectInfo) error { keys = append(keys, o.Key); return nil }); err != nil {
				return out, fmt.Errorf("package %s: %w", id, err)
			}
		}
		r.Objects = len(keys)
		for _, k := range keys {
			if _, err := to.Store.Stat(ctx, k); errors.Is(err, storage.ErrNotExist) {
				r.Missing++
			}
		}
		switch {
		case len(keys) == 0:
			r.Err = fmt.Errorf("package %s: not in the copy", id)
		case opts.DryRun:
		default:
			var err error
			for _, prefix := range batchPrefixes(id) {
				var fig Figures
				fig, err = Replicate(ctx, from, to, prefix, now)
				r.Bytes += fig.Bytes
				if err != nil {
					break
				}
			}
			if err == nil {
				err = VerifyPackage(ctx, to.Store, id, opts.Roots, opts.Trust, opts.TempDir)
			}
			r.Err = err
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		out = append(out, r)
	}
	if !opts.DryRun {
		if _, err := Replicate(ctx, from, to, seal.StoreChainPrefix, now); err != nil {
			return out, fmt.Errorf("seal chain: %w", err)
		}
	}
	return out, nil
}

// VerifyPackage downloads package id from s into a temporary folder and
// verifies it: a sealed package with seal.Verify (bag, manifests, METS, the
// seal's signature chaining to roots) and the signatures of its PDFs
// (pades.DirCheck); an unsealed one as a valid bag. Any problem is an error.
func VerifyPackage(ctx context.Context, s storage.Store, id string, roots *x509.CertPool, trust *seal.Trust, tempDir string) error {
	dir, err := os.MkdirTemp(tempDir, "sohoa-restore-*")
	if err != nil {
		return err
	}
	defer func() {
		seal.MakeWritable(dir)
		os.RemoveAll(dir)
	}()
	pkg := filepath.Join(dir, id)
	sealed := false
	err = s.List(ctx, id+"/", func(o storage.ObjectInfo) error {
		rel := strings.TrimPrefix(o.Key, id+"/")
		if rel == bag.SignatureFile {
			sealed = true
		}
		return download(ctx, s, o.Key, filepath.Join(pkg, filepath.FromSlash(path.Clean(rel))))
	})
	if err != nil {
		return fmt.Errorf("package %s: download: %w", id, err)
	}
	if !sealed {
		probs, err := bag.ValidateContext(ctx, pkg)
		if err != nil {
			return fmt.Errorf("package %s: %w", id, err)
		}
		if len(probs) > 0 {
			return fmt.Errorf("package %s: not a valid bag: %v", id, probs)
		}
		return nil
	}
	pdfs := &pades.DirCheck{Options: pades.VerifyOptions{Roots: roots, Trust: trust}}
	rep, err := seal.Verify(ctx, pkg, seal.VerifyOptions{Roots: roots, Trust: trust, Checks: []seal.Checker{pdfs.Check}})
	if err != nil {
		return fmt.Errorf("package %s: %w", id, err)
	}
	if o := rep.Outcome(); o != seal.Passed {
		return fmt.Errorf("package %s: %s: %v", id, o.English(), rep.Problems)
	}
	return nil
}

// download writes the object key of s to the file name, verifying its SHA-256.
func download(ctx context.Context, s storage.Store, key, name string) error {
	info, err := s.Stat(ctx, key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	r, err := s.Get(ctx, key)
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	sum, _, err := bag.HashFile(name)
	if err != nil {
		return err
	}
	if sum != info.SHA256 {
		return fmt.Errorf("%s: SHA-256 %s, the store says %s", key, sum, info.SHA256)
	}
	return nil
}

// PackagePrefixes are the key prefixes of package id in an archive store: its
// bag and its AIP_hoso zips.
func PackagePrefixes(id string) []string {
	return []string{id + "/", aip.ArchivePrefix + id + "/"}
}

// AuditPrefix is the key prefix of the audit trail's mirror of batch id in an
// archive store (see audit.ArchivePrefix). Its entries are kept in every copy
// with the batch, as the seal chain is.
func AuditPrefix(id string) string { return audit.ArchivePrefix + id + "/" }

// batchPrefixes are PackagePrefixes and AuditPrefix: what Restore brings back of batch id.
func batchPrefixes(id string) []string { return append(PackagePrefixes(id), AuditPrefix(id)) }

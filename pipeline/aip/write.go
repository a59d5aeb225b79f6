package aip

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Result is what WriteAll did with one hồ sơ: its package, or why there is none.
type Result struct {
	HoSo    string
	Package *Package // nil when the hồ sơ was not packaged
	Err     error    // why not: wraps ErrIncomplete or ErrMetadata, or another error
}

// ArchivePrefix is the prefix of the AIP_hoso zips of batch ID in the archive
// store and under a local output folder: aip/<batch id>/<package name>.zip,
// beside the batch's own package at <batch id>/.
const ArchivePrefix = "aip/"

// WriteAll writes the package of every complete hồ sơ of the finished batch
// package bag into dir, one zip each named Package.Name, and returns what it
// did per hồ sơ in batch order. dir afterwards holds exactly these packages:
// they are written into a new folder that then replaces dir, so packages of
// an earlier run of the batch never stay beside them. A hồ sơ
// with a failed document gets no package (its Result.Err wraps
// ErrIncomplete), whatever the others do. A zip is written under a temporary
// name and renamed into place, so a zip under its final name is whole; an
// existing one with the same name holds the same bytes (names come from the
// content) and is replaced. The error is for what stops every package (the
// bag cannot be read, dir cannot be made).
func WriteAll(ctx context.Context, bag fs.FS, dir string, opts Options) ([]Result, error) {
	b, err := ReadBatch(bag)
	if err != nil {
		return nil, err
	}
	tmp := dir + ".writing"
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("packages: %w", err)
	}
	rs, err := WriteBatch(ctx, bag, b, tmp, opts, nil)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("packages: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, fmt.Errorf("packages: %w", err)
	}
	return rs, nil
}

// WriteBatch is WriteAll for a batch already read, limited to the hồ sơ whose
// codes are in only (all when only is empty).
func WriteBatch(ctx context.Context, bag fs.FS, b *Batch, dir string, opts Options, only []string) ([]Result, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("packages: %w", err)
	}
	var out []Result
	order := opts.Order
	for _, h := range b.HoSo {
		if len(only) > 0 && !contains(only, h.Code) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if opts.Kind == SIP {
			if order <= 0 {
				order = 1
			}
			opts.Order = order
			order++
		}
		pkg, err := writeOne(ctx, bag, b, h, dir, opts)
		out = append(out, Result{HoSo: h.Code, Package: pkg, Err: err})
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func writeOne(ctx context.Context, bag fs.FS, b *Batch, h *HoSo, dir string, opts Options) (*Package, error) {
	tmp, err := os.CreateTemp(dir, ".package-*.zip.tmp")
	if err != nil {
		return nil, fmt.Errorf("hồ sơ %s: %w", h.Code, err)
	}
	defer os.Remove(tmp.Name())
	pkg, err := Build(ctx, tmp, bag, b, h, opts)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(tmp.Name(), 0o444); err != nil {
		return nil, err
	}
	final := filepath.Join(dir, pkg.Name)
	if err := os.Rename(tmp.Name(), final); err != nil {
		return nil, fmt.Errorf("hồ sơ %s: %w", h.Code, err)
	}
	return pkg, nil
}

// Failed returns the results without a package.
func Failed(rs []Result) []Result {
	var out []Result
	for _, r := range rs {
		if r.Package == nil {
			out = append(out, r)
		}
	}
	return out
}

// IsIncomplete reports whether r has no package because its hồ sơ is not complete.
func (r Result) IsIncomplete() bool { return errors.Is(r.Err, ErrIncomplete) }

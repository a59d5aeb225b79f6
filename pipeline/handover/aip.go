package handover

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/sohoa-vn/sohoa/pipeline/aip"
	"github.com/sohoa-vn/sohoa/storage"
)

// Package is one AIP_hoso handed over with a batch: a row of the record.
type Package struct {
	HoSo      string // the hồ sơ's code as its EAD.xml gives it (arcFileCode)
	Name      string // the zip's file name
	SHA256    string // of the zip, lower-case hex
	Size      int64
	Documents int
	Pages     int
	// Problems are what the package check found; none for a package that passed.
	Problems []string
}

// PullAIPs downloads the AIP_hoso zips of batchID (aip/<batchID>/ in store)
// into dir, comparing each with the SHA-256 the store holds for it, and
// checks each package (aip.Check: METS references, EAD fields, MetadataLink,
// PDF signatures by check). It returns one row per package, by hồ sơ.
// A zip that does not match its stored checksum is an error.
func PullAIPs(ctx context.Context, store storage.Store, batchID, dir string, check aip.CheckOptions) ([]Package, error) {
	prefix := aip.ArchivePrefix + batchID + "/"
	var keys []string
	if err := store.List(ctx, prefix, func(o storage.ObjectInfo) error { keys = append(keys, o.Key); return nil }); err != nil {
		return nil, fmt.Errorf("pull AIP_hoso: %w", err)
	}
	if len(keys) == 0 {
		return nil, nil // a batch without AIP_hoso (its PDFs are not signed): no folder
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("pull AIP_hoso: %w", err)
	}
	var out []Package
	for _, key := range keys {
		name := path.Base(key)
		dst := filepath.Join(dir, name)
		sum, size, err := fetchChecked(ctx, store, key, dst)
		if err != nil {
			return nil, err
		}
		rep, err := aip.CheckPath(ctx, dst, check)
		if err != nil {
			return nil, fmt.Errorf("pull AIP_hoso %s: %w", name, err)
		}
		p := Package{HoSo: rep.Code, Name: name, SHA256: sum, Size: size, Documents: rep.Documents, Pages: rep.Pages}
		for _, pr := range rep.Problems {
			p.Problems = append(p.Problems, pr.String())
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].HoSo < out[j].HoSo })
	return out, nil
}

// fetchChecked downloads key to dst and checks it against the store's SHA-256.
func fetchChecked(ctx context.Context, store storage.Store, key, dst string) (string, int64, error) {
	info, err := store.Stat(ctx, key)
	if err != nil {
		return "", 0, fmt.Errorf("pull %s: %w", key, err)
	}
	rc, err := store.Get(ctx, key)
	if err != nil {
		return "", 0, fmt.Errorf("pull %s: %w", key, err)
	}
	defer rc.Close()
	f, err := os.Create(dst)
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("pull %s: %w", key, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if info.SHA256 == "" || sum != info.SHA256 {
		return "", 0, &ChecksumError{Path: key, Want: info.SHA256, Got: sum}
	}
	return sum, n, nil
}

// packageLines are the record's rows of the AIP_hoso handed over.
func packageLines(ps []Package) []string {
	if len(ps) == 0 {
		return nil
	}
	lines := []string{"Gói AIP_hoso (mỗi hồ sơ một gói): " + strconv.Itoa(len(ps))}
	for i, p := range ps {
		verdict := "đạt"
		if len(p.Problems) > 0 {
			verdict = fmt.Sprintf("KHÔNG ĐẠT (%d vấn đề)", len(p.Problems))
		}
		lines = append(lines, fmt.Sprintf("  %d. %s: %s, SHA-256 %s, %d văn bản, %d trang, %s",
			i+1, p.HoSo, p.Name, p.SHA256, p.Documents, p.Pages, verdict))
		for _, pr := range p.Problems {
			lines = append(lines, "     - "+pr)
		}
	}
	return lines
}

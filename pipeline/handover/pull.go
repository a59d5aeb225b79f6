// Package handover is what a handover officer does with a sealed package: pull
// it from the archive store to a local folder, checking every file's SHA-256
// against the bag manifests while it streams; verify it; and write the handover
// record (biên bản giao nhận) as PDF and plain text next to the bag.
//
// Verification is passed in as a [Verifier]; [SealVerifier] is the one that
// sohoa verify, handover pull and handover record share, so that they never
// disagree on a verdict (seal.Report.Outcome).
package handover

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/storage"
)

// Errors reported by Pull. They are wrapped with context; test with errors.Is.
var (
	// ErrNotEmpty means the output folder exists and is not empty.
	ErrNotEmpty = errors.New("output folder exists and is not empty")
	// ErrNoPackage means the store holds no package under the batch id.
	ErrNoPackage = errors.New("no package in the store")
)

// ChecksumError reports a file whose content does not match the bag manifests.
type ChecksumError struct {
	Path string // relative to the bag root, slash-separated
	Want string // SHA-256 in the manifest
	Got  string // SHA-256 of the content received
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("%s: checksum mismatch: manifest says %s, received %s", e.Path, e.Want, e.Got)
}

// MissingError reports files listed in the bag manifests that the store does not hold.
type MissingError struct {
	Paths []string // relative to the bag root, sorted
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("%d file(s) listed in the manifests are not in the store: %s", len(e.Paths), strings.Join(e.Paths, ", "))
}

// PullOptions controls Pull.
type PullOptions struct {
	// Progress, when set, is called after each chunk received with the bytes
	// received so far and the total size of the package.
	Progress func(done, total int64)
}

// PullResult describes a pulled package.
type PullResult struct {
	Bag      string   // the bag's folder: <out>/<batch id>
	Files    int      // objects downloaded
	Bytes    int64    // bytes downloaded
	Unlisted []string // files in no manifest (the tag manifest and its signature), relative to the bag root
}

// Pull downloads the package stored under batchID/ in store to out/<batchID>,
// hashing every object as it is written and comparing it with the bag
// manifests, which are fetched first. out must not exist or be empty. On a
// mismatch Pull stops and returns a *ChecksumError naming the file; files
// listed in the manifests but not stored give a *MissingError. Objects are
// streamed to disk, never held in memory whole. After an error the partial
// download is left in out for inspection.
func Pull(ctx context.Context, store storage.Store, batchID, out string, opts PullOptions) (*PullResult, error) {
	if err := storage.ValidateKey(batchID); err != nil || strings.Contains(batchID, "/") {
		return nil, fmt.Errorf("pull: batch id %q is not valid", batchID)
	}
	if err := emptyDir(out); err != nil {
		return nil, fmt.Errorf("pull: %w", err)
	}
	prefix := batchID + "/"
	var objs []storage.ObjectInfo
	var total int64
	err := store.List(ctx, prefix, func(o storage.ObjectInfo) error {
		objs = append(objs, o)
		total += o.Size
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", batchID, err)
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("pull %s: %w", batchID, ErrNoPackage)
	}
	res := &PullResult{Bag: filepath.Join(out, batchID)}
	// The manifests first, so that every later object is checked as it streams.
	rank := func(k string) int {
		switch strings.TrimPrefix(k, prefix) {
		case bag.TagManifestFile:
			return 0
		case bag.ManifestFile:
			return 1
		}
		return 2
	}
	sort.SliceStable(objs, func(i, j int) bool { return rank(objs[i].Key) < rank(objs[j].Key) })

	var done int64
	progress := func(n int64) {
		done += n
		if opts.Progress != nil {
			opts.Progress(done, total)
		}
	}
	want := map[string]string{} // path -> SHA-256, from both manifests
	stored := map[string]bool{}
	for _, o := range objs {
		rel := strings.TrimPrefix(o.Key, prefix)
		stored[rel] = true
		dst, err := localPath(res.Bag, rel)
		if err != nil {
			return res, fmt.Errorf("pull %s: %w", batchID, err)
		}
		w, listed := want[rel]
		oi, err := storage.Download(ctx, store, o.Key, dst, storage.DownloadOptions{SHA256: w, Progress: progress})
		if listed && errors.Is(err, storage.ErrChecksum) {
			res.Files++
			res.Bytes += oi.Size
			return res, fmt.Errorf("pull %s: %w", batchID, &ChecksumError{Path: rel, Want: w, Got: oi.SHA256})
		}
		if err != nil {
			return res, fmt.Errorf("pull %s: %w", batchID, err)
		}
		res.Files++
		res.Bytes += oi.Size
		if !listed {
			res.Unlisted = append(res.Unlisted, rel)
		}
		if rel == bag.TagManifestFile || rel == bag.ManifestFile {
			if err := addManifest(dst, want); err != nil {
				return res, fmt.Errorf("pull %s: %s: %w", batchID, rel, err)
			}
		}
	}
	var missing []string
	for p := range want {
		if !stored[p] {
			missing = append(missing, p)
		}
	}
	if !stored[bag.ManifestFile] {
		missing = append(missing, bag.ManifestFile)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return res, fmt.Errorf("pull %s: %w", batchID, &MissingError{Paths: missing})
	}
	return res, nil
}

// emptyDir makes sure dir exists and is empty.
func emptyDir(dir string) error {
	f, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	if err != nil && err != io.EOF {
		return fmt.Errorf("%s: %w", dir, err)
	}
	if len(names) > 0 {
		return fmt.Errorf("%s: %w", dir, ErrNotEmpty)
	}
	return nil
}

// localPath maps a key's path inside the bag to a file under bagDir, refusing
// anything that would leave it.
func localPath(bagDir, rel string) (string, error) {
	if rel == "" || path.IsAbs(rel) || path.Clean(rel) != rel || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("object path %q is not a path inside a bag", rel)
	}
	return filepath.Join(bagDir, filepath.FromSlash(rel)), nil
}

// addManifest adds the entries of the manifest file to want.
func addManifest(file string, want map[string]string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := bag.ParseManifest(f)
	if err != nil {
		return err
	}
	for p, s := range m {
		want[p] = s
	}
	return nil
}

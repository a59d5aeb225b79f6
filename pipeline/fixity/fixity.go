// Package fixity re-checks the packages kept in the archive store: every
// stored object is read again and hashed, and compared with the SHA-256 its
// bag's manifests give it. It reports altered objects (content differs from the
// manifest), missing objects (listed in a manifest, not stored) and orphans
// (stored, in no manifest). The seal chain's entries (under
// seal.StoreChainPrefix) are not packages: each is checked as what it is, a
// link whose fingerprint must be that of the seal of the package it names.
//
// The result of the last check is kept in Redis under [LastKey], where
// "sohoa status" reads it. Workers run the check periodically as the asynq task
// [TypeCheck], registered on a scheduler with [Register].
package fixity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/pipeline/aip"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/backuplog"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/storage"
)

// Kinds of problem.
const (
	Altered    = "altered"    // content differs from the manifest
	Missing    = "missing"    // listed in a manifest, not stored
	Orphan     = "orphan"     // stored, in no manifest of its package
	Unreadable = "unreadable" // could not be read, or a manifest could not be parsed
)

// Files of a package that no manifest lists: the tag manifest itself, and the
// seal's signature over it.
var rootFiles = map[string]bool{bag.TagManifestFile: true, bag.SignatureFile: true}

// Problem is one object that failed the check.
type Problem struct {
	Key    string `json:"key"`  // the object's key (<batch id>/<path in the bag>)
	Kind   string `json:"kind"` // Altered, Missing, Orphan or Unreadable
	Detail string `json:"detail,omitempty"`
}

func (p Problem) String() string {
	if p.Detail == "" {
		return p.Kind + " " + p.Key
	}
	return p.Kind + " " + p.Key + ": " + p.Detail
}

// Result is the outcome of one check of the whole store.
type Result struct {
	Started    time.Time `json:"started"`
	Finished   time.Time `json:"finished"`
	Packages   int       `json:"packages"`
	SealLinks  int       `json:"sealLinks"` // seal chain entries checked
	Objects    int       `json:"objects"`   // objects read and hashed
	Bytes      int64     `json:"bytes"`     // bytes read
	Altered    int       `json:"altered"`
	Missing    int       `json:"missing"`
	Orphans    int       `json:"orphans"`
	Unreadable int       `json:"unreadable"`
	Problems   []Problem `json:"problems,omitempty"` // sorted by key
}

// OK reports whether the check found no problem.
func (r *Result) OK() bool { return len(r.Problems) == 0 }

// Summary is the result on one line, as "sohoa status" shows it.
func (r *Result) Summary() string {
	state := "ok"
	if !r.OK() {
		state = fmt.Sprintf("PROBLEMS: %d altered, %d missing, %d orphans, %d unreadable",
			r.Altered, r.Missing, r.Orphans, r.Unreadable)
	}
	return fmt.Sprintf("fixity %s: %s (%d packages, %d objects, %d bytes, %d seal links checked in %s)",
		r.Finished.UTC().Format(time.RFC3339), state, r.Packages, r.Objects, r.Bytes, r.SealLinks,
		r.Finished.Sub(r.Started).Round(time.Millisecond))
}

func (r *Result) add(key, kind, detail string) {
	r.Problems = append(r.Problems, Problem{Key: key, Kind: kind, Detail: detail})
	switch kind {
	case Altered:
		r.Altered++
	case Missing:
		r.Missing++
	case Orphan:
		r.Orphans++
	default:
		r.Unreadable++
	}
}

// Options controls Check.
type Options struct {
	Logger *slog.Logger     // default slog.Default()
	Now    func() time.Time // default time.Now
	// Include, when set, limits the check to the packages (batch ids) it
	// accepts: a scheduled run reads a share of the holdings (see Share).
	Include func(id string) bool
}

// Check reads every object of store, which holds packages under the archive
// layout <batch id>/<path in the bag>, and checks it against its package's
// manifest-sha256.txt and tagmanifest-sha256.txt. Objects are streamed, never
// held in memory whole. Problems found go into the result; the error is for a
// store that cannot be listed, or a cancelled context.
func Check(ctx context.Context, store storage.Store, opts Options) (*Result, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	res := &Result{Started: opts.Now()}
	packages := map[string][]string{} // batch id -> paths in the bag
	var chain []string                // seal chain entries
	var aips []string                 // AIP_hoso zips
	err := store.List(ctx, "", func(o storage.ObjectInfo) error {
		if strings.HasPrefix(o.Key, seal.StoreChainPrefix) {
			chain = append(chain, o.Key)
			return nil
		}
		if strings.HasPrefix(o.Key, aip.ArchivePrefix) {
			aips = append(aips, o.Key)
			return nil
		}
		if strings.HasPrefix(o.Key, backuplog.MirrorPrefix) {
			return nil // the backup log's mirror: entries, not packages
		}
		if strings.HasPrefix(o.Key, audit.ArchivePrefix) {
			return nil // the audit trail's mirror, not a package
		}
		id, rel, ok := strings.Cut(o.Key, "/")
		if !ok {
			res.add(o.Key, Orphan, "not inside a package")
			return nil
		}
		if opts.Include != nil && !opts.Include(id) {
			return nil
		}
		packages[id] = append(packages[id], rel)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fixity: list: %w", err)
	}
	ids := make([]string, 0, len(packages))
	for id := range packages {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	seals := map[string]string{} // batch id -> SHA-256 of its stored seal
	for _, id := range ids {
		if err := checkPackage(ctx, store, id, packages[id], res, seals); err != nil {
			return nil, err
		}
		res.Packages++
	}
	if err := checkChain(ctx, store, chain, seals, res, opts.Include); err != nil {
		return nil, err
	}
	if err := checkAIPs(ctx, store, aips, res); err != nil {
		return nil, err
	}
	sort.SliceStable(res.Problems, func(i, j int) bool { return res.Problems[i].Key < res.Problems[j].Key })
	res.Finished = opts.Now()
	opts.Logger.Info("fixity check finished", "packages", res.Packages, "objects", res.Objects, "bytes", res.Bytes,
		"altered", res.Altered, "missing", res.Missing, "orphans", res.Orphans, "unreadable", res.Unreadable)
	return res, nil
}

// checkPackage checks the objects rels of package id, the manifests first,
// and notes the SHA-256 of its seal (the signature) in seals.
func checkPackage(ctx context.Context, store storage.Store, id string, rels []string, res *Result, seals map[string]string) error {
	rank := func(rel string) int {
		switch rel {
		case bag.TagManifestFile:
			return 0
		case bag.ManifestFile:
			return 1
		}
		return 2
	}
	sort.SliceStable(rels, func(i, j int) bool { return rank(rels[i]) < rank(rels[j]) })
	want := map[string]string{}
	stored := map[string]bool{}
	for _, rel := range rels {
		stored[rel] = true
		key := id + "/" + rel
		isManifest := rank(rel) < 2
		sum, n, manifest, perr, err := hashObject(ctx, store, key, isManifest)
		if ctx.Err() != nil {
			return fmt.Errorf("fixity: %w", ctx.Err())
		}
		res.Objects++
		res.Bytes += n
		if err != nil {
			res.add(key, Unreadable, err.Error())
			continue
		}
		if rel == bag.SignatureFile {
			seals[id] = sum
		}
		w, listed := want[rel]
		switch {
		case listed && sum != w:
			res.add(key, Altered, fmt.Sprintf("SHA-256 %s, manifest says %s", sum, w))
		case !listed && !rootFiles[rel]:
			res.add(key, Orphan, "in no manifest of the package")
		case perr != nil:
			res.add(key, Unreadable, perr.Error())
		}
		for p, s := range manifest {
			want[p] = s
		}
	}
	if !stored[bag.ManifestFile] {
		res.add(id+"/"+bag.ManifestFile, Missing, "the package has no payload manifest")
	}
	var missing []string
	for p := range want {
		if !stored[p] {
			missing = append(missing, p)
		}
	}
	sort.Strings(missing)
	for _, p := range missing {
		res.add(id+"/"+p, Missing, "listed in the manifest, not stored")
	}
	return nil
}

// checkAIPs checks the AIP_hoso zips keys (aip/<batch id>/…, in no bag
// manifest): each is read again and its contents checked against its own METS
// files (every file's SHA-256 and size, nothing missing or extra; the zip's
// CRCs). The PDF signatures are not checked here ("sohoa verify" does).
func checkAIPs(ctx context.Context, store storage.Store, keys []string, res *Result) error {
	for _, key := range keys {
		err := checkAIP(ctx, store, key, res)
		if ctx.Err() != nil {
			return fmt.Errorf("fixity: %w", ctx.Err())
		}
		if err != nil {
			res.add(key, Unreadable, err.Error())
		}
	}
	return nil
}

func checkAIP(ctx context.Context, store storage.Store, key string, res *Result) error {
	r, err := store.Get(ctx, key)
	if err != nil {
		return err
	}
	defer r.Close()
	tmp, err := os.CreateTemp("", "sohoa-fixity-*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	res.Objects++
	res.Bytes += n
	if err != nil {
		return err
	}
	rep, err := aip.CheckPath(ctx, tmp.Name(), aip.CheckOptions{StructureOnly: true})
	if err != nil {
		res.add(key, Altered, err.Error())
		return nil
	}
	for _, p := range rep.Problems {
		res.add(key, Altered, p.String())
	}
	return nil
}

// chainEntry is the part of a seal chain entry (seal.StoreChain) checked here.
type chainEntry struct {
	Batch     string `json:"batch"`
	SHA256    string `json:"sha256"`
	Signature []byte `json:"signature"`
}

// checkChain checks the seal chain entries keys: each must be readable, hold
// the signature whose fingerprint it gives, and the last entry naming a batch
// must give the fingerprint of that package's stored seal (an earlier entry of
// the same batch was superseded when the package was sealed again).
func checkChain(ctx context.Context, store storage.Store, keys []string, seals map[string]string, res *Result, include func(string) bool) error {
	sort.Strings(keys)            // entry numbers are zero-padded: the last of a batch is its latest
	latest := map[string]string{} // "<organisation folder>\x00<batch>" -> key of the last entry
	entries := map[string]*chainEntry{}
	for _, key := range keys {
		if ctx.Err() != nil {
			return fmt.Errorf("fixity: %w", ctx.Err())
		}
		res.Objects++
		res.SealLinks++
		r, err := store.Get(ctx, key)
		if err != nil {
			res.add(key, Unreadable, err.Error())
			continue
		}
		data, err := io.ReadAll(io.LimitReader(r, 64<<20))
		r.Close()
		res.Bytes += int64(len(data))
		if err != nil {
			res.add(key, Unreadable, err.Error())
			continue
		}
		var e chainEntry
		if err := json.Unmarshal(data, &e); err != nil || e.Batch == "" || e.SHA256 == "" {
			res.add(key, Unreadable, fmt.Sprintf("not a seal chain entry (batch and sha256): %v", err))
			continue
		}
		if sum := sha256.Sum256(e.Signature); hex.EncodeToString(sum[:]) != strings.ToLower(e.SHA256) {
			res.add(key, Altered, fmt.Sprintf("seal chain entry of batch %s gives fingerprint %s, its signature's SHA-256 is %s",
				e.Batch, e.SHA256, hex.EncodeToString(sum[:])))
			continue
		}
		entries[key] = &e
		latest[key[:strings.LastIndex(key, "/")]+"\x00"+e.Batch] = key
	}
	for _, key := range latest {
		e := entries[key]
		if include != nil && !include(e.Batch) {
			continue // its package is not in this share
		}
		got, ok := seals[e.Batch]
		switch {
		case !ok:
			res.add(e.Batch+"/"+bag.SignatureFile, Missing, fmt.Sprintf("the seal chain entry %s names this package's seal (%s), not stored", key, e.SHA256))
		case got != strings.ToLower(e.SHA256):
			res.add(key, Altered, fmt.Sprintf("seal chain entry gives batch %s the fingerprint %s, the stored package's seal has %s", e.Batch, e.SHA256, got))
		}
	}
	return nil
}

// hashObject streams the object at key through SHA-256; for a manifest it
// also parses the content, returning a parse failure as perr (the hash is
// still computed).
func hashObject(ctx context.Context, store storage.Store, key string, isManifest bool) (sum string, n int64, m map[string]string, perr, err error) {
	r, err := store.Get(ctx, key)
	if err != nil {
		return "", 0, nil, nil, err
	}
	defer r.Close()
	h := sha256.New()
	cr := &storage.CountingReader{R: io.TeeReader(r, h)}
	if isManifest {
		if m, perr = bag.ParseManifest(cr); perr != nil {
			m, perr = nil, fmt.Errorf("manifest: %w", perr)
		}
	}
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return "", cr.N, nil, nil, err
	}
	return hex.EncodeToString(h.Sum(nil)), cr.N, m, perr, nil
}

// LastKey is the Redis key holding the JSON of the last check's Result.
const LastKey = "sohoa:fixity:last"

// Save stores res in Redis under LastKey.
func Save(ctx context.Context, rdb redis.Cmdable, res *Result) error {
	js, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("fixity: %w", err)
	}
	if err := rdb.Set(ctx, LastKey, js, 0).Err(); err != nil {
		return fmt.Errorf("fixity: save result: %w", err)
	}
	return nil
}

// Last returns the result saved last, or nil when no check has been saved.
func Last(ctx context.Context, rdb redis.Cmdable) (*Result, error) {
	js, err := rdb.Get(ctx, LastKey).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fixity: last result: %w", err)
	}
	var res Result
	if err := json.Unmarshal(js, &res); err != nil {
		return nil, fmt.Errorf("fixity: last result: %w", err)
	}
	return &res, nil
}

// TypeCheck is the asynq task type of a periodic fixity check.
const TypeCheck = "sohoa:fixity"

// taskTimeout bounds one check; a large archive takes hours to read.
const taskTimeout = 24 * time.Hour

// Register adds the periodic check to s with spec, a cron specification
// ("0 3 * * *") or descriptor ("@daily", "@every 12h"), and returns the entry
// id. When several workers each run a scheduler, the task is enqueued once per
// period: it is unique for an hour.
func Register(s *asynq.Scheduler, spec string) (string, error) {
	id, err := s.Register(spec, asynq.NewTask(TypeCheck, nil),
		asynq.Unique(time.Hour), asynq.Timeout(taskTimeout), asynq.MaxRetry(3))
	if err != nil {
		return "", fmt.Errorf("fixity: schedule %q: %w", spec, err)
	}
	return id, nil
}

// Handler returns the handler of TypeCheck: it checks store and saves the
// result in rdb. Problems found are logged, not a task failure; a store or
// Redis that cannot be reached is, and the task is retried.
func Handler(store storage.Store, rdb redis.Cmdable, logger *slog.Logger) asynq.HandlerFunc {
	if logger == nil {
		logger = slog.Default()
	}
	return func(ctx context.Context, t *asynq.Task) error {
		res, err := Check(ctx, store, Options{Logger: logger})
		if err != nil {
			return err
		}
		for _, p := range res.Problems {
			logger.Warn("fixity problem", "key", p.Key, "kind", p.Kind, "detail", p.Detail)
		}
		return Save(ctx, rdb, res)
	}
}

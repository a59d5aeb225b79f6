package seal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/storage"
)

// StoreChainPrefix is where StoreChain keeps chains in a store by default.
const StoreChainPrefix = "sohoa-seals/"

// StoreChain is the seal chain: it keeps each organisation's chain of seals
// in an object store, shared by many workers (the archive bucket of the
// queue) or local to one output folder (FolderChain, for sohoa process), as immutable
// entries PREFIX<Organization-Identifier>/<number>.json numbered from 1. The
// entry with the highest number is the head: the previous seal of the next
// package of that organisation, whichever worker seals it. A worker claims
// the next number with a Put; since objects are immutable, of two workers
// sealing at once exactly one gets the number, and the other seals again on
// top of it. An entry holds the sealed bag-info.txt, tag manifest and
// signature, so that a package task delivered again restores the same seal
// instead of making a second one.
type StoreChain struct {
	Store     storage.Store
	Prefix    string             // default StoreChainPrefix
	Retention *storage.Retention // lock put on entries; nil for none
	Stamper   Stamper            // when set, every seal is timestamped (see Seal)
}

// storeEntry is one chain entry object.
type storeEntry struct {
	Link
	BagInfo     string `json:"bagInfo"`
	TagManifest string `json:"tagManifest"`
	Signature   []byte `json:"signature"`
}

func (c StoreChain) dir(org string) string {
	p := c.Prefix
	if p == "" {
		p = StoreChainPrefix
	}
	return p + safeName(org) + "/"
}

// entries lists the organisation's entry numbers, in increasing order.
func (c StoreChain) entries(ctx context.Context, org string) ([]int, error) {
	var ns []int
	dir := c.dir(org)
	err := c.Store.List(ctx, dir, func(oi storage.ObjectInfo) error {
		name := strings.TrimSuffix(strings.TrimPrefix(oi.Key, dir), ".json")
		if n, err := strconv.Atoi(name); err == nil && n > 0 {
			ns = append(ns, n)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("seal chain %s: %w", dir, err)
	}
	sort.Ints(ns)
	return ns, nil
}

func (c StoreChain) key(org string, n int) string { return fmt.Sprintf("%s%012d.json", c.dir(org), n) }

func (c StoreChain) entry(ctx context.Context, org string, n int) (*storeEntry, error) {
	rc, err := c.Store.Get(ctx, c.key(org, n))
	if err != nil {
		return nil, fmt.Errorf("seal chain: %w", err)
	}
	defer rc.Close()
	var e storeEntry
	if err := json.NewDecoder(rc).Decode(&e); err != nil {
		return nil, fmt.Errorf("seal chain %s: %w", c.key(org, n), err)
	}
	return &e, nil
}

// Head returns the organisation's last seal, or nil when it has none yet.
func (c StoreChain) Head(ctx context.Context, org string) (*Link, error) {
	ns, err := c.entries(ctx, org)
	if err != nil || len(ns) == 0 {
		return nil, err
	}
	e, err := c.entry(ctx, org, ns[len(ns)-1])
	if err != nil {
		return nil, err
	}
	return &e.Link, nil
}

// Seal seals the package at bagDir with s as the next link of its
// organisation's chain. When the chain already holds a seal of this very
// package (same batch, same tag files), that seal is restored instead; a
// package of the same batch that differs (sealed again after --overwrite)
// takes the place of its earlier seal at the head, linking to the seal
// before it. When the chain entry cannot be written the package is left
// unsealed (or, if even that fails, the error wraps ErrSealedNotChained).
func (c StoreChain) Seal(ctx context.Context, bagDir string, s Signer) (*Link, error) {
	infoFile, tmFile, sigFile := filepath.Join(bagDir, bag.InfoFile), filepath.Join(bagDir, bag.TagManifestFile), filepath.Join(bagDir, bag.SignatureFile)
	origInfo, err := os.ReadFile(infoFile)
	if err != nil {
		return nil, fmt.Errorf("seal %s: %w", bagDir, err)
	}
	origTM, err := os.ReadFile(tmFile)
	if err != nil {
		return nil, fmt.Errorf("seal %s: %w", bagDir, err)
	}
	info, err := bag.ReadInfo(infoFile)
	if err != nil {
		return nil, fmt.Errorf("seal %s: %w", bagDir, err)
	}
	org, batch := info.Get("Organization-Identifier"), info.Get("External-Identifier")
	restore := func() error {
		if err := MakeWritable(bagDir); err != nil {
			return err
		}
		if err := os.Remove(sigFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if err := os.WriteFile(infoFile, origInfo, 0o644); err != nil {
			return err
		}
		return os.WriteFile(tmFile, origTM, 0o644)
	}

	for attempt := 0; attempt < 20; attempt++ {
		ns, err := c.entries(ctx, org)
		if err != nil {
			return nil, err
		}
		var prev *Link
		if len(ns) > 0 {
			head, err := c.entry(ctx, org, ns[len(ns)-1])
			if err != nil {
				return nil, err
			}
			if head.Batch == batch {
				// An earlier delivery of this package task sealed it: reuse that seal
				// if it is the seal of exactly this package.
				if ok, err := c.reuse(bagDir, head); err != nil {
					return nil, err
				} else if ok {
					l := head.Link
					return &l, nil
				}
				if err := restore(); err != nil {
					return nil, fmt.Errorf("seal %s: %w", bagDir, err)
				}
				if head.PreviousSHA256 != "" {
					prev = &Link{Organisation: org, Batch: head.PreviousBatch, SHA256: head.PreviousSHA256}
				}
			} else {
				prev = &head.Link
			}
		}
		link, err := Seal(ctx, bagDir, s, prev, c.Stamper)
		if err != nil {
			return nil, err
		}
		e := storeEntry{Link: *link}
		b1, err1 := os.ReadFile(infoFile)
		b2, err2 := os.ReadFile(tmFile)
		b3, err3 := os.ReadFile(sigFile)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("seal %s: %w", bagDir, err)
		}
		e.BagInfo, e.TagManifest, e.Signature = string(b1), string(b2), b3
		js, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("seal chain: %w", err)
		}
		next := 1
		if len(ns) > 0 {
			next = ns[len(ns)-1] + 1
		}
		_, err = c.Store.Put(ctx, c.key(org, next), bytes.NewReader(js), int64(len(js)), storage.PutOptions{ContentType: "application/json", Retention: c.Retention})
		if err == nil {
			return link, nil
		}
		if !errors.Is(err, storage.ErrExists) {
			// The seal and its chain entry are one step: without the entry the
			// package is unsealed again, so that what is reported is true and a
			// new run seals it with the right link.
			if rerr := restore(); rerr != nil {
				return nil, fmt.Errorf("seal %s: %w (SHA-256 %s) but its chain entry could not be written (%v), and removing the seal failed: %v", bagDir, ErrSealedNotChained, link.SHA256, err, rerr)
			}
			return nil, fmt.Errorf("seal chain: writing the chain entry failed, so the package was left unsealed: %w", err)
		}
		// Another worker sealed a package of this organisation first: seal again after it.
		if err := restore(); err != nil {
			return nil, fmt.Errorf("seal %s: %w", bagDir, err)
		}
	}
	return nil, fmt.Errorf("seal chain %s: too many concurrent seals, giving up", c.dir(org))
}

// reuse writes the entry's tag files into the bag and reports whether the
// bag is then valid, that is the entry is the seal of this package. When it
// is not, the caller restores the bag.
func (c StoreChain) reuse(bagDir string, e *storeEntry) (bool, error) {
	if err := MakeWritable(bagDir); err != nil {
		return false, err
	}
	for name, b := range map[string][]byte{bag.InfoFile: []byte(e.BagInfo), bag.TagManifestFile: []byte(e.TagManifest), bag.SignatureFile: e.Signature} {
		if err := os.WriteFile(filepath.Join(bagDir, name), b, 0o644); err != nil {
			return false, fmt.Errorf("seal %s: %w", bagDir, err)
		}
	}
	probs, err := bag.Validate(bagDir)
	if err != nil || len(probs) > 0 || fingerprint(e.Signature) != e.SHA256 {
		return false, nil
	}
	return true, MakeReadOnly(bagDir)
}

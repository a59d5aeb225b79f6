package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sohoa-vn/sohoa/storage"
)

// RunDeleteAll checks the storage.BatchDeleter contract through storage.DeleteAll, which uses DeleteMany when the
// store has it and Delete otherwise (besides Run, which the backend also runs). newStore must return an empty store,
// a fresh one for each call; locks says whether it accepts PutOptions.Retention; many is how many objects it deletes
// in one call (more than one request of the backend takes: S3 DeleteObjects takes 1000 keys).
func RunDeleteAll(t *testing.T, newStore func(t *testing.T) storage.Store, locks bool, many int) {
	t.Run("Many", func(t *testing.T) { testDeleteAllMany(t, newStore(t), many) })
	t.Run("KeyErrors", func(t *testing.T) { testDeleteAllKeyErrors(t, newStore(t), locks) })
	t.Run("Cancelled", func(t *testing.T) { testDeleteAllCancelled(t, newStore(t)) })
}

func testDeleteAllMany(t *testing.T, s storage.Store, many int) {
	ctx := t.Context()
	var keys []string
	for i := range many {
		keys = append(keys, fmt.Sprintf("work/b1/%04d", i))
	}
	var g errgroup.Group
	g.SetLimit(16)
	for _, k := range keys {
		g.Go(func() error {
			_, err := s.Put(ctx, k, strings.NewReader(k), int64(len(k)), storage.PutOptions{})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	put(t, s, "work/b2/keep", []byte("another batch"), storage.PutOptions{})
	if err := storage.DeleteAll(ctx, s, nil); err != nil {
		t.Errorf("DeleteAll of no keys = %v", err)
	}
	// In reverse order, with a key twice and a missing one.
	del := append(slices.Clone(keys), keys[0], "work/b1/missing")
	slices.Reverse(del)
	if err := storage.DeleteAll(ctx, s, del); err != nil {
		t.Fatalf("DeleteAll of %d keys = %v", len(del), err)
	}
	if left := listKeys(t, s, "work/"); !slices.Equal(left, []string{"work/b2/keep"}) {
		t.Errorf("after DeleteAll, List = %d keys (%q...), want only work/b2/keep", len(left), left[:min(len(left), 3)])
	}
	wantNotExist(t, s, keys[0])
	wantNotExist(t, s, keys[len(keys)-1])
}

func testDeleteAllKeyErrors(t *testing.T, s storage.Store, locks bool) {
	ctx := t.Context()
	put(t, s, "w/a", []byte("a"), storage.PutOptions{})
	put(t, s, "w/c", []byte("c"), storage.PutOptions{})
	want := []string{"../w/b"}
	if locks {
		put(t, s, "w/locked", []byte("giữ lại"), storage.PutOptions{Retention: &storage.Retention{Mode: storage.Governance, Until: time.Now().Add(time.Hour)}})
		want = append(want, "w/locked")
	}
	err := storage.DeleteAll(ctx, s, []string{"w/c", "w/locked", "../w/b", "w/a"})
	var got []string
	for _, ke := range storage.KeyErrors(err) {
		got = append(got, ke.Key)
		switch ke.Key {
		case "../w/b":
			if !errors.Is(ke.Err, storage.ErrInvalidKey) {
				t.Errorf("key error of the invalid key = %v, want ErrInvalidKey", ke.Err)
			}
		case "w/locked":
			if !errors.Is(ke.Err, storage.ErrLocked) || storage.IsTransient(ke.Err) {
				t.Errorf("key error of the retained key = %v, want permanent ErrLocked", ke.Err)
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("DeleteAll = %v: key errors for %q, want %q", err, got, want)
	}
	if !errors.Is(err, storage.ErrInvalidKey) || (locks && !errors.Is(err, storage.ErrLocked)) {
		t.Errorf("DeleteAll = %v, want it to wrap the keys' errors", err)
	}
	if left := listKeys(t, s, "w/"); (locks && !slices.Equal(left, []string{"w/locked"})) || (!locks && len(left) != 0) {
		t.Errorf("after DeleteAll with failing keys, List = %q: the other keys must be deleted all the same", left)
	}
}

func testDeleteAllCancelled(t *testing.T, s storage.Store) {
	put(t, s, "w/a", []byte("a"), storage.PutOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := storage.DeleteAll(ctx, s, []string{"w/a"})
	if err == nil || storage.IsTransient(err) {
		t.Errorf("DeleteAll with a cancelled context = %v, want a permanent error", err)
	}
	if kes := storage.KeyErrors(err); len(kes) != 1 || kes[0].Key != "w/a" {
		t.Errorf("DeleteAll with a cancelled context: key errors %v, want one for w/a", kes)
	}
}

package storage

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestKeyErrors checks that the per-key errors of a DeleteMany are found in
// its error, sorted by key, wrapped (errors.Is), and that its message stays
// short however many keys failed.
func TestKeyErrors(t *testing.T) {
	var errs []*KeyError
	for i := range 10 {
		errs = append(errs, &KeyError{Key: fmt.Sprintf("k/%d", 9-i), Err: Transient(errors.New("server busy"))})
	}
	errs = append(errs, &KeyError{Key: "k/locked", Err: fmt.Errorf("delete: %w", ErrLocked)})
	err := fmt.Errorf("cleaning: %w", JoinKeyErrors(errs))
	kes := KeyErrors(err)
	if len(kes) != 11 || kes[0].Key != "k/0" || kes[10].Key != "k/locked" {
		t.Fatalf("KeyErrors = %v, want 11 sorted by key", kes)
	}
	if !errors.Is(err, ErrLocked) || !IsTransient(err) {
		t.Errorf("%v does not wrap the keys' errors", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "11 key(s) not deleted") || !strings.Contains(msg, "and 8 more") || strings.Contains(msg, "k/locked") {
		t.Errorf("message %q: want the count, the first 3 keys and how many more", msg)
	}
	if JoinKeyErrors(nil) != nil || KeyErrors(nil) != nil {
		t.Error("no key errors must give a nil error and no KeyErrors")
	}
}

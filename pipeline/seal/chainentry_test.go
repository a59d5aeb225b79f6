package seal_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// TestChainEntryFailureUnseals is issue 12 item 14: when the chain entry
// cannot be written after sealing (a full disk; here the temporary head file
// cannot be created), the package is left unsealed, the chain head is
// unchanged and nothing temporary is left, so that "NOT sealed" is true; a
// later run seals it with the right link.
func TestChainEntryFailureUnseals(t *testing.T) {
	f := setup(t)
	out := t.TempDir()
	chain := seal.LocalChain{Dir: out}
	first := unsealedCopy(t, f, "atomic-1")
	second := unsealedCopy(t, f, "atomic-2")
	l1, err := chain.Seal(context.Background(), first, f.signer)
	if err != nil {
		t.Fatal(err)
	}
	info, err := bag.ReadInfo(filepath.Join(second, bag.InfoFile))
	if err != nil {
		t.Fatal(err)
	}
	heads := filepath.Join(out, seal.ChainDir)
	head := filepath.Join(heads, info.Get("Organization-Identifier")+".json")
	before, err := os.ReadFile(head)
	if err != nil {
		t.Fatal(err)
	}
	// A folder where the temporary head file goes: writing it fails.
	if err := os.Mkdir(head+".tmp", 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = chain.Seal(context.Background(), second, f.signer)
	if err == nil {
		t.Fatal("Seal with an unwritable chain entry succeeded")
	}
	if !strings.Contains(err.Error(), "left unsealed") {
		t.Errorf("Seal with an unwritable chain entry = %v, want a failure that says the package was left unsealed", err)
	}
	if _, err := os.Stat(filepath.Join(second, bag.SignatureFile)); !os.IsNotExist(err) {
		t.Errorf("the package keeps a signature although its chain entry was not written: %v", err)
	}
	if after, _ := os.ReadFile(head); string(after) != string(before) {
		t.Errorf("chain head changed:\n%s\nwant\n%s", after, before)
	}
	os.Remove(head + ".tmp")
	l2, err := chain.Seal(context.Background(), second, f.signer)
	if err != nil {
		t.Fatalf("sealing again: %v", err)
	}
	if l2.PreviousSHA256 != l1.SHA256 {
		t.Errorf("second seal links to %s, want the first %s", l2.PreviousSHA256, l1.SHA256)
	}
	ents, _ := os.ReadDir(heads)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

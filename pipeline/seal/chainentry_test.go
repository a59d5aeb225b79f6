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
// cannot be written after sealing (a full disk; here a folder stands where the
// next entry goes), the package is left unsealed, the chain head is unchanged
// and nothing temporary is left, so that "NOT sealed" is true; a later run
// seals it with the right link.
func TestChainEntryFailureUnseals(t *testing.T) {
	f := setup(t)
	out := t.TempDir()
	chain, err := seal.FolderChain(out)
	if err != nil {
		t.Fatal(err)
	}
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
	org := info.Get("Organization-Identifier")
	entries := filepath.Join(out, seal.ChainDir, seal.StoreChainPrefix, org)
	before, err := os.ReadDir(entries)
	if err != nil || len(before) != 1 {
		t.Fatalf("chain entries after the first seal: %v, %v; want one", before, err)
	}
	// A folder where the next entry goes: writing it fails.
	next := filepath.Join(entries, strings.Replace(before[0].Name(), "1.json", "2.json", 1))
	if err := os.Mkdir(next, 0o755); err != nil {
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
	if head, err := chain.Head(context.Background(), org); err != nil || head == nil || head.SHA256 != l1.SHA256 {
		t.Errorf("chain head = %+v, %v; want the first seal %s", head, err, l1.SHA256)
	}
	os.Remove(next)
	l2, err := chain.Seal(context.Background(), second, f.signer)
	if err != nil {
		t.Fatalf("sealing again: %v", err)
	}
	if l2.PreviousSHA256 != l1.SHA256 {
		t.Errorf("second seal links to %s, want the first %s", l2.PreviousSHA256, l1.SHA256)
	}
	tmp, _ := os.ReadDir(filepath.Join(out, seal.ChainDir, ".sohoa", "tmp"))
	ents, _ := os.ReadDir(entries)
	if len(tmp) != 0 || len(ents) != 2 {
		t.Errorf("left behind: temporary %v; entries %v, want the two seals", tmp, ents)
	}
}

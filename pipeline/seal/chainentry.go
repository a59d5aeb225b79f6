package seal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
)

// ErrSealedNotChained is returned (wrapped) by LocalChain.Seal in the rare
// case where the package was sealed, its chain entry could not be written,
// and the seal could not be removed again either: the package is sealed but
// the chain does not know it.
var ErrSealedNotChained = errors.New("the package is sealed")

// writeHead writes a chain head file through a temporary file, synced, then
// renamed over the old head; on failure no temporary file is left behind and
// the old head is unchanged.
func writeHead(head string, data []byte) error {
	tmp := head + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, head)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// unseal removes the signature of the package at bagDir and makes it
// writable again, undoing Seal.
func unseal(bagDir string) error {
	if err := MakeWritable(bagDir); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(bagDir, bag.SignatureFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", bag.SignatureFile, err)
	}
	return nil
}

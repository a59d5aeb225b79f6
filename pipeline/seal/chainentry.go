package seal

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sohoa-vn/sohoa/storage/local"
)

// ChainDir is the folder, inside an output folder of sohoa process, that
// holds the chain of FolderChain.
const ChainDir = ".sohoa-seals"

// ErrSealedNotChained is returned (wrapped) by StoreChain.Seal in the rare
// case where the package was sealed, its chain entry could not be written,
// and the seal could not be removed again either: the package is sealed but
// the chain does not know it.
var ErrSealedNotChained = errors.New("the package is sealed")

// FolderChain returns the seal chain of the packages written to the output
// folder dir (sohoa process): a StoreChain in the local store at
// dir/.sohoa-seals. The rule is the chain's: the previous seal of a package
// is the last seal made in the same output folder for the same
// Organization-Identifier, and a package sealed again under the same batch id
// (process --overwrite) takes the place of its earlier seal, linking to the
// seal before that.
func FolderChain(dir string) (StoreChain, error) {
	s, err := local.New(filepath.Join(dir, ChainDir))
	if err != nil {
		return StoreChain{}, fmt.Errorf("seal chain: %w", err)
	}
	return StoreChain{Store: s}, nil
}

// safeName makes an organisation identifier ("H49.64.33") a key segment.
func safeName(org string) string {
	if org == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || r == ':' {
			return '_'
		}
		return r
	}, org)
}

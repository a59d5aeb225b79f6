package pipeline

import (
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
)

// addOriginal copies the original file of pg into the package. gone is the
// page's failure when the original can no longer be opened (removed or made
// unreadable while the batch was processed): that fails only its document.
// err is a failure to write the package, which stops the run.
func (p *Packager) addOriginal(pg *Page) (e bag.Entry, gone, err error) {
	f, oerr := os.Open(filepath.Join(p.b.Dir, filepath.FromSlash(pg.File)))
	if oerr != nil {
		return bag.Entry{}, &PageError{pg.File, pg.FilePage, StagePackage,
			fmt.Errorf("the original file was removed or became unreadable while the batch was processed (%w): put it back and run the batch again", oerr)}, nil
	}
	defer f.Close()
	e, err = p.w.AddPayload(path.Join("originals", pg.File), f)
	return e, nil, err
}

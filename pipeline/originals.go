package pipeline

import (
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
)

// addOriginal copies the original file of pg into the package (a staging
// package takes it by hard link: Options.Staging). gone is the page's
// failure when the original can no longer be opened (removed or made
// unreadable while the batch was processed): that fails only its document.
// err is a failure to write the package, which stops the run.
func (p *Packager) addOriginal(pg *Page) (e bag.Entry, gone, err error) {
	src := filepath.Join(p.b.Dir, filepath.FromSlash(pg.File))
	f, oerr := os.Open(src)
	if oerr != nil {
		return bag.Entry{}, &PageError{pg.File, pg.FilePage, StagePackage,
			fmt.Errorf("the original file was removed or became unreadable while the batch was processed (%w): put it back and run the batch again", oerr)}, nil
	}
	defer f.Close()
	name := path.Join("originals", pg.File)
	if p.opts.Staging {
		e, err = p.w.AddPayloadLink(name, src)
	} else {
		e, err = p.w.AddPayload(name, f)
	}
	return e, nil, err
}

package ocr

/*
#cgo LDFLAGS: -ltesseract
#include <stdlib.h>
#include <tesseract/capi.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"strings"
	"unsafe"
)

// MissingLanguageError reports requested Tesseract languages whose model
// (LANG.traineddata) could not be loaded.
type MissingLanguageError struct {
	Missing []string // the languages not loaded, in the order requested
	Dir     string   // the tessdata folder searched
}

func (e *MissingLanguageError) Error() string {
	files := make([]string, len(e.Missing))
	for i, l := range e.Missing {
		files[i] = l + ".traineddata"
	}
	return fmt.Sprintf("ocr: language %s not installed: no %s in %s (install the Tesseract language package, e.g. tesseract-ocr-%s, or choose other languages)",
		strings.Join(e.Missing, ", "), strings.Join(files, ", "), e.Dir, e.Missing[0])
}

// CheckLanguages starts Tesseract once with langs ("vie+eng"; "" is "vie")
// from tessdataDir ("" for Tesseract's default) and reports, as a
// *MissingLanguageError, every requested language whose model it could not
// load. Tesseract itself runs with the languages it could load and says
// nothing, so a run with a missing language would otherwise OCR every page
// without it and record it anyway: check before any work.
func CheckLanguages(langs, tessdataDir string) error {
	if langs == "" {
		langs = "vie"
	}
	var want []string
	for _, l := range strings.Split(langs, "+") {
		if l == "" || strings.ContainsAny(l, `/\. `) {
			return fmt.Errorf("ocr: bad language list %q: want names like vie or vie+eng", langs)
		}
		want = append(want, l)
	}
	h := C.TessBaseAPICreate()
	if h == nil {
		return errors.New("ocr: cannot create Tesseract instance")
	}
	defer C.TessBaseAPIDelete(h)
	defer C.TessBaseAPIEnd(h)
	var dir *C.char
	if tessdataDir != "" {
		dir = C.CString(tessdataDir)
		defer C.free(unsafe.Pointer(dir))
	}
	cl := C.CString(langs)
	defer C.free(unsafe.Pointer(cl))
	failed := C.TessBaseAPIInit3(h, dir, cl) != 0
	loaded := map[string]bool{}
	if !failed {
		vec := C.TessBaseAPIGetLoadedLanguagesAsVector(h)
		if vec != nil {
			for p := vec; *p != nil; p = (**C.char)(unsafe.Add(unsafe.Pointer(p), unsafe.Sizeof(p))) {
				loaded[C.GoString(*p)] = true
			}
			C.TessDeleteTextArray(vec)
		}
	}
	where := tessdataDir
	if dp := C.TessBaseAPIGetDatapath(h); dp != nil && C.GoString(dp) != "" {
		where = C.GoString(dp)
	}
	if where == "" {
		where = "Tesseract's tessdata folder"
	}
	e := &MissingLanguageError{Dir: where}
	for _, l := range want {
		if !loaded[l] {
			e.Missing = append(e.Missing, l)
		}
	}
	if len(e.Missing) > 0 {
		return e
	}
	return nil
}

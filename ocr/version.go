package ocr

import "github.com/otiai10/gosseract/v2"

// Version returns the version of the Tesseract library sohoa is linked with.
func Version() string { return gosseract.Version() }

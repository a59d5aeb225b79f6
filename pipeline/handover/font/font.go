// Package font holds the typeface sohoa writes its own text in: Liberation
// Serif (metric-compatible with Times New Roman, the typeface of Vietnamese
// administrative documents), which has every Vietnamese glyph. SIL Open Font
// License 1.1, see LICENSE.
package font

import _ "embed"

// SerifRegular is LiberationSerif-Regular.ttf.
//
//go:embed LiberationSerif-Regular.ttf
var SerifRegular []byte

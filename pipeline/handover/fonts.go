package handover

// SerifFonts returns the records' typeface (Liberation Serif regular and bold,
// TrueType), for the other records sohoa writes in the same form.
func SerifFonts() (regular, bold []byte) { return serifRegular, serifBold }

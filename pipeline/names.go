package pipeline

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// badName says what is wrong with a file or folder name of a batch, "" when
// nothing is. Names must be valid UTF-8 without control characters (CR, LF,
// TAB, DEL, C1 controls) or the invisible characters that reorder text
// (bidirectional overrides): the METS and BagIt manifests name every file,
// and a name their XML or line format cannot carry byte for byte makes a
// package that can never verify.
func badName(name string) string {
	if !utf8.ValidString(name) {
		return "the name is not valid UTF-8 text: rename the file or folder (save names as Unicode)"
	}
	for _, r := range name {
		switch {
		case r == '\r' || r == '\n':
			return "the name holds a line break: rename the file or folder"
		case unicode.IsControl(r):
			return "the name holds a control character: rename the file or folder"
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e || r == 0x200f:
			return "the name holds an invisible character that changes the direction of text: rename the file or folder"
		}
	}
	return ""
}

// DisplayName escapes a file name for messages: invalid bytes as \xNN and
// control and invisible characters as \r, \t, \u202e …; printable text,
// Vietnamese included, is left as it is.
func DisplayName(name string) string {
	if badName(name) == "" {
		return name
	}
	q := strconv.QuoteToGraphic(name)
	return q[1 : len(q)-1]
}

// nameProblem returns the problem with the entry name inside the folder dir
// (a slash path relative to the batch folder, "" for the top), or nil.
func nameProblem(dir, name string) *Problem {
	what := badName(name)
	if what == "" {
		return nil
	}
	rel := DisplayName(name)
	if dir != "" {
		rel = dir + "/" + rel
	}
	return &Problem{File: rel, What: what}
}

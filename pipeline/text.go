package pipeline

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// utf8BOM is the byte order mark some editors (Windows Notepad) put at the
// start of a UTF-8 file.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// DecodeUTF8 checks that data, the content of the text file name in the
// batch, is UTF-8, and returns it without a leading byte order mark. Text in
// another encoding (Windows-1258, TCVN3, …) would otherwise be read as
// garbled Vietnamese and end up in a sealed package: it is refused with a
// problem naming the file and the byte offset (from the start of the file)
// of the first byte that is not UTF-8.
func DecodeUTF8(name string, data []byte) ([]byte, *Problem) {
	start := 0
	if bytes.HasPrefix(data, utf8BOM) {
		start = len(utf8BOM)
	}
	text := data[start:]
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && n <= 1 {
			return nil, &Problem{File: name, Value: fmt.Sprintf("byte 0x%02X", text[i]),
				What: fmt.Sprintf("not valid UTF-8 at byte offset %d: save the file as UTF-8 (it seems to be in another encoding, such as Windows-1258, which would garble Vietnamese)", start+i)}
		}
		i += n
	}
	return text, nil
}

package bag

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzManifest feeds arbitrary bytes to the manifest reader that verify,
// fixity and handover use: it must never panic, and what it accepts is a
// 64-hex-digit checksum per non-empty path. Corpus: testdata/fuzz/FuzzManifest.
func FuzzManifest(f *testing.F) {
	f.Add([]byte(strings.Repeat("a", 64) + "  data/H49/H49.1.pdf\n" + strings.Repeat("B", 64) + " *data/a%0Ab.txt\n"))
	f.Add([]byte(strings.Repeat("0", 64) + "  data/%25%0D%0A\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(bytes.NewReader(data))
		if err != nil {
			return
		}
		for p, sum := range m {
			if len(sum) != 64 || sum != strings.ToLower(sum) {
				t.Fatalf("checksum %q for %q", sum, p)
			}
		}
	})
}

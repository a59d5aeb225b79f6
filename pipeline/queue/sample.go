// Which documents of a batch a reviewer must accept.

package queue

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"strconv"
)

// Sampled reports whether document doc (its number in batch order) of batch
// id is in the review sample: every flagged document is, and of the others
// those whose hash of the batch id and document number falls under share (0
// to 1). The same batch gives the same sample on every run and every machine.
func Sampled(id string, doc int, flagged bool, share float64) bool {
	if flagged || share >= 1 {
		return true
	}
	h := sha256.Sum256([]byte(id + "\x00" + strconv.Itoa(doc)))
	u := float64(binary.BigEndian.Uint64(h[:8])) / math.Exp2(64) // uniform in [0, 1)
	return u < share
}

package pades

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

var configOnce sync.Once

// readPDF parses data with pdfcpu, without pdfcpu's configuration folder.
func readPDF(data []byte) (*model.Context, error) {
	configOnce.Do(func() { model.ConfigPath = "disable" })
	ctx, err := api.ReadContext(bytes.NewReader(data), model.NewDefaultConfiguration())
	if err != nil {
		return nil, fmt.Errorf("read PDF: %w", err)
	}
	if err := ctx.EnsurePageCount(); err != nil {
		return nil, fmt.Errorf("read PDF: %w", err)
	}
	return ctx, nil
}

var startxrefRe = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)

// lastStartXRef returns the offset of the last cross-reference section.
func lastStartXRef(data []byte) (int64, error) {
	tail := data
	if len(tail) > 1024 {
		tail = tail[len(tail)-1024:]
	}
	m := startxrefRe.FindSubmatch(tail)
	if m == nil {
		return 0, errors.New("no startxref at the end of the file")
	}
	return strconv.ParseInt(string(m[1]), 10, 64)
}

// increment collects the objects of an incremental update.
type increment struct {
	base    int64 // the length of the file it is added to
	buf     bytes.Buffer
	offsets map[int]int64 // object number -> offset in the whole file
	next    int           // next free object number
}

// newIncrement starts the update of a file of n bytes (ending with a newline
// when newline) whose trailer's /Size is size.
func newIncrement(n int64, newline bool, size int) *increment {
	inc := &increment{base: n, offsets: map[int]int64{}, next: size}
	if n > 0 && !newline {
		inc.buf.WriteByte('\n')
	}
	return inc
}

// alloc reserves a new object number.
func (inc *increment) alloc() int {
	n := inc.next
	inc.next++
	return n
}

func (inc *increment) offset() int64 { return inc.base + int64(inc.buf.Len()) }

// object writes object n with body (a serialized PDF object).
func (inc *increment) object(n int, body string) {
	inc.offsets[n] = inc.offset()
	fmt.Fprintf(&inc.buf, "%d 0 obj\n%s\nendobj\n", n, body)
}

// stream writes object n as a stream with dict d (without /Length) and data.
func (inc *increment) stream(n int, d types.Dict, data []byte) {
	d = d.Clone().(types.Dict)
	d["Length"] = types.Integer(len(data))
	inc.offsets[n] = inc.offset()
	fmt.Fprintf(&inc.buf, "%d 0 obj\n%s\nstream\n", n, d.PDFString())
	inc.buf.Write(data)
	inc.buf.WriteString("\nendstream\nendobj\n")
}

// finish writes the classic cross-reference section and trailer and returns
// the update (to be appended to the file).
func (inc *increment) finish(trailer types.Dict, prev int64) []byte {
	xref := inc.offset()
	nums := make([]int, 0, len(inc.offsets))
	for n := range inc.offsets {
		nums = append(nums, n)
	}
	sortInts(nums)
	inc.buf.WriteString("xref\n")
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		fmt.Fprintf(&inc.buf, "%d %d\n", nums[i], j-i+1)
		for k := i; k <= j; k++ {
			fmt.Fprintf(&inc.buf, "%010d 00000 n\r\n", inc.offsets[nums[k]])
		}
		i = j + 1
	}
	trailer = trailer.Clone().(types.Dict)
	trailer["Size"] = types.Integer(inc.next)
	trailer["Prev"] = types.Integer(prev)
	fmt.Fprintf(&inc.buf, "trailer\n%s\nstartxref\n%d\n%%%%EOF\n", trailer.PDFString(), xref)
	return inc.buf.Bytes()
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

func ref(n int) types.IndirectRef { return *types.NewIndirectRef(n, 0) }

// textString encodes s as a PDF text string: PDFDocEncoding-safe ASCII as a
// literal, anything else as UTF-16BE with a byte order mark, in hex.
func textString(s string) types.Object {
	ascii := true
	for _, r := range s {
		if r < 0x20 || r > 0x7e || r == '(' || r == ')' || r == '\\' {
			ascii = false
			break
		}
	}
	if ascii {
		return types.StringLiteral(s)
	}
	var b bytes.Buffer
	b.WriteString("FEFF")
	for _, u := range utf16Of(s) {
		fmt.Fprintf(&b, "%04X", u)
	}
	return types.HexLiteral(b.String())
}

func utf16Of(s string) []uint16 {
	var out []uint16
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			out = append(out, uint16(0xD800+(r>>10)), uint16(0xDC00+(r&0x3FF)))
			continue
		}
		out = append(out, uint16(r))
	}
	return out
}

// sync1 returns a function that calls f once and returns its results ever after.
func sync1[T any](f func() (T, error)) func() (T, error) {
	var once sync.Once
	var v T
	var err error
	return func() (T, error) {
		once.Do(func() { v, err = f() })
		return v, err
	}
}

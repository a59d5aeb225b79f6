package pdfa

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// objWriter writes a PDF as it is made: the header, then each object in
// ascending number order, recording its offset, then a classic
// cross-reference table and the trailer. Only the object being written is in
// memory, so a document's size does not bound the memory needed to write it.
//
// pdfcpu cannot do this: its writer serializes a model.Context that holds
// every object of the document, stream data included (StreamDict.Raw), so
// the whole document is in memory at once; it has no API to write one object
// and forget it. The objects themselves are still pdfcpu's types, serialized
// by their PDFString methods, and the layout (object headers, stream
// keywords, cross-reference entries, trailer) is byte for byte what
// pdfcpu.WriteIncrement wrote before (TestStreamWriterMatchesPdfcpu).
type objWriter struct {
	w       *bufio.Writer
	off     int64
	offsets []int64 // offsets[n] is object n's offset; offsets[0] is unused
	err     error
}

func newObjWriter(w io.Writer) *objWriter {
	o := &objWriter{w: bufio.NewWriterSize(w, 1<<16), offsets: []int64{0}}
	o.str(header)
	return o
}

func (o *objWriter) str(s string) {
	if o.err != nil {
		return
	}
	n, err := o.w.WriteString(s)
	o.off += int64(n)
	o.err = err
}

func (o *objWriter) bytes(b []byte) {
	if o.err != nil {
		return
	}
	n, err := o.w.Write(b)
	o.off += int64(n)
	o.err = err
}

// next returns the number the next object written gets.
func (o *objWriter) next() int { return len(o.offsets) }

// begin starts object n, which must be the next number.
func (o *objWriter) begin(n int) {
	if o.err == nil && n != o.next() {
		o.err = fmt.Errorf("object %d written out of order (next is %d)", n, o.next())
	}
	o.offsets = append(o.offsets, o.off)
	o.str(strconv.Itoa(n) + " 0 obj\n")
}

// object writes object n.
func (o *objWriter) object(n int, obj types.Object) error {
	o.begin(n)
	o.str(obj.PDFString())
	o.str("\nendobj\n")
	return o.err
}

// stream writes object n as a stream of data (already encoded); filter names
// its filters, none for an unfiltered stream.
func (o *objWriter) stream(n int, d types.Dict, data []byte, filter ...string) error {
	if d == nil {
		d = types.NewDict()
	}
	switch len(filter) {
	case 0:
	case 1:
		d.Insert("Filter", types.Name(filter[0]))
	default:
		a := types.Array{}
		for _, f := range filter {
			a = append(a, types.Name(f))
		}
		d.Insert("Filter", a)
	}
	d.Insert("Length", types.Integer(len(data)))
	o.begin(n)
	o.str(d.PDFString())
	o.str("\nstream\n")
	o.bytes(data)
	o.str("\nendstream\nendobj\n")
	return o.err
}

// finish writes the cross-reference table and the trailer, whose /Size is
// set here, and flushes.
func (o *objWriter) finish(trailer types.Dict) error {
	xref := o.off
	o.str("xref\n0 " + strconv.Itoa(len(o.offsets)) + "\n0000000000 65535 f \n")
	for _, off := range o.offsets[1:] {
		o.str(fmt.Sprintf("%010d 00000 n \n", off))
	}
	trailer.Insert("Size", types.Integer(len(o.offsets)))
	o.str("trailer\n" + trailer.PDFString() + "\nstartxref\n" + strconv.FormatInt(xref, 10) + "\n%%EOF\n")
	if o.err != nil {
		return o.err
	}
	return o.w.Flush()
}

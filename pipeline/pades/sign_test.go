package pades_test

import (
	"context"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/pades"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa/pdfatest"
)

func TestSignPdfsig(t *testing.T) {
	s, _ := devSigner(t)
	for _, part := range []pdfa.Part{pdfa.PDFA2B, pdfa.PDFA1B} {
		in := makePDF(t, part, 2)
		out, err := pades.Sign(context.Background(), in, s, pades.Options{Location: "Bắc Minh"})
		if err != nil {
			t.Fatal(err)
		}
		f := writeTemp(t, "signed.pdf", out)
		rep := pdfatest.Tool(t, "pdfsig", f)
		t.Log(rep)
		contains(t, "pdfsig", rep, "Signature is Valid", "Total document signed", "ETSI.CAdES.detached")
		pdfatest.QPDFCheck(t, f)
		if part == pdfa.PDFA1B {
			r, ok := pdfatest.Preflight(t, f)
			if !ok {
				t.Errorf("preflight:\n%s", r)
			}
		}
		t.Log(pdfatest.Tool(t, "pdftotext", "-bbox", f, "-"))
	}
}

package pades_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/pades"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa/pdfatest"
)

var (
	pageRe = regexp.MustCompile(`<page width="([\d.]+)" height="([\d.]+)">`)
	wordRe = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)
)

// TestSignedPDFTools checks signed PDF/A-2b and 1b files with the tools an
// archive uses: pdfsig, qpdf --check, PDFBox Preflight (1b), pdftotext.
func TestSignedPDFTools(t *testing.T) {
	s, _ := devSigner(t)
	for _, part := range []pdfa.Part{pdfa.PDFA2B, pdfa.PDFA1B} {
		t.Run(string(part), func(t *testing.T) {
			in := makePDF(t, part, 2)
			out, err := pades.Sign(context.Background(), in, s, pades.Options{Location: "Bắc Minh"})
			if err != nil {
				t.Fatal(err)
			}
			if string(out[:len(in)]) != string(in) {
				t.Fatal("the signed file does not begin with the unsigned file: not an incremental update")
			}
			if added := len(out) - len(in); added > 20*1024 {
				t.Errorf("signing added %d bytes, over 20 KB", added)
			}
			unsigned, f := writeTemp(t, "unsigned.pdf", in), writeTemp(t, "signed.pdf", out)
			rep := pdfatest.Tool(t, "pdfsig", f)
			contains(t, "pdfsig", rep, "Signature is Valid", "Total document signed", "Signature Type: ETSI.CAdES.detached", "Signing Hash Algorithm: SHA-256")
			if n := strings.Count(rep, "Signature #"); n != 1 {
				t.Errorf("pdfsig finds %d signatures, want 1", n)
			}
			pdfatest.QPDFCheck(t, f)
			if part == pdfa.PDFA1B {
				if r, ok := pdfatest.Preflight(t, f); !ok {
					t.Errorf("Preflight: the signed PDF/A-1b is not valid:\n%s", r)
				}
			}
			// The page text is unchanged; the signature's two lines are added on page 1.
			before := pdfatest.Tool(t, "pdftotext", unsigned, "-")
			after := pdfatest.Tool(t, "pdftotext", f, "-")
			var kept []string
			sigLines := 0
			for _, l := range strings.Split(after, "\n") {
				if strings.HasPrefix(l, "Ký bởi: ") || strings.HasPrefix(l, "Thời gian ký: ") {
					sigLines++
					continue
				}
				if l != "" || len(kept) > 0 {
					kept = append(kept, l) // the signature lines come first, then a blank line
				}
			}
			if sigLines != 2 {
				t.Errorf("pdftotext finds %d signature lines, want 2:\n%s", sigLines, after)
			}
			if strings.Join(kept, "\n") != before {
				t.Errorf("page text changed by signing:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			// The signature text is on page 1, top right: right of 55% of the
			// width and above 15% of the height.
			bbox := pdfatest.Tool(t, "pdftotext", "-bbox", f, "-")
			pages := strings.Split(bbox, "<page ")
			if len(pages) != 3 {
				t.Fatalf("pdftotext -bbox: %d pages", len(pages)-1)
			}
			pm := pageRe.FindStringSubmatch("<page " + pages[1])
			w, _ := strconv.ParseFloat(pm[1], 64)
			h, _ := strconv.ParseFloat(pm[2], 64)
			want := map[string]bool{"Ký": false, "Sở": false, "Minh": false, "ký:": false}
			var stamp string
			for _, m := range wordRe.FindAllStringSubmatch(pages[1], -1) {
				x0, _ := strconv.ParseFloat(m[1], 64)
				y1, _ := strconv.ParseFloat(m[4], 64)
				if _, ok := want[m[5]]; ok && x0 > 0.55*w && y1 < 0.15*h {
					want[m[5]] = true
				}
				if strings.HasSuffix(m[5], "+07:00") && x0 > 0.55*w && y1 < 0.15*h {
					stamp = m[5]
				}
			}
			for word, found := range want {
				if !found {
					t.Errorf("signature word %q not found top right of page 1:\n%s", word, pages[1])
				}
			}
			if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$`).MatchString(stamp) {
				t.Errorf("signing time %q top right of page 1, want ISO 8601 with +07:00", stamp)
			}
			if strings.Contains(pages[2], "Ký bởi") {
				t.Error("the signature text is on page 2 too")
			}
		})
	}
}

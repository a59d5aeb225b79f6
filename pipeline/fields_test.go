package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline/fields"
	"github.com/sohoa-vn/sohoa/pipeline/scan"
	"github.com/sohoa-vn/sohoa/pipeline/tt05"
)

// adminSamples are the NĐ 30 documents with known metadata (copied from shared/samples/admin).
const adminSamples = "../testdata/admin"

// adminTruth is one document of truth.json or stacks.json.
type adminTruth struct {
	TypeName     string `json:"typeName"`
	CodeNumber   string `json:"codeNumber"`
	CodeNotation string `json:"codeNotation"`
	IssuedDate   string `json:"issuedDate"`
	Place        string `json:"place"`
	OrganName    string `json:"organName"`
	ParentOrgan  string `json:"parentOrgan"`
	Subject      string `json:"subject"`
	SignerName   string `json:"signerName"`
	Authority    string `json:"authority"`
	Secrecy      string `json:"secrecy"`
	Urgency      string `json:"urgency"`
	Pages        int    `json:"pages"`
	FirstPage    int    `json:"firstPage"`
}

type adminStack struct {
	PageCount  int          `json:"pageCount"`
	FirstPages []int        `json:"firstPages"`
	Documents  []adminTruth `json:"documents"`
}

// ocrFieldPage is one sample page after the pipeline's page stage.
type ocrFieldPage struct {
	page   fields.Page
	ocr    time.Duration
	signer time.Duration // the second reading of the signer block
}

var (
	ocrFieldOnce  sync.Once
	ocrFieldPages map[string]ocrFieldPage // "s01/page-001.jpg" → OCR
	ocrFieldErr   error
)

// ocrAdminSamples runs every admin sample page through ProcessPage once (normalize and OCR, as
// the pipeline does) for all the tests and benchmarks that read fields.
func ocrAdminSamples(tb testing.TB) map[string]ocrFieldPage {
	tb.Helper()
	ocrFieldOnce.Do(func() {
		// Read as the product reads: its default languages and colour dropout (ocr.dropout).
		def := configs.Default().OCR
		inks, err := ocr.ParseInks(def.Dropout)
		if err != nil {
			ocrFieldErr = err
			return
		}
		eng, err := ocr.NewEngine(ocr.Options{Languages: def.Languages, Dropout: inks})
		if err != nil {
			ocrFieldErr = err
			return
		}
		defer eng.Close()
		ocrFieldPages = map[string]ocrFieldPage{}
		files, _ := filepath.Glob(filepath.Join(adminSamples, "s0*", "page-*"))
		more, _ := filepath.Glob(filepath.Join(adminSamples, "stacks", "stack1", "page-*"))
		for _, f := range append(files, more...) {
			if ext := strings.ToLower(filepath.Ext(f)); ext != ".jpg" && ext != ".png" && ext != ".tif" {
				continue // the samples' ground truth and layout files
			}
			infos, err := scan.Inspect(f)
			if err != nil {
				ocrFieldErr = err
				return
			}
			rel, _ := filepath.Rel(adminSamples, f)
			pg := &Page{Index: 1, File: filepath.ToSlash(rel), FilePage: 1, Info: infos[0], DPI: infos[0].DPIX}
			res, err := ProcessPage(context.Background(), eng, adminSamples, pg, PageOptions{DPI: pg.DPI})
			if err != nil {
				ocrFieldErr = err
				return
			}
			ocrFieldPages[filepath.ToSlash(rel)] = ocrFieldPage{fieldPage(res), res.Timings.OCR, res.Timings.Signer}
		}
	})
	if ocrFieldErr != nil {
		tb.Fatal(ocrFieldErr)
	}
	return ocrFieldPages
}

// pagesOf returns the pages under prefix ("s01/"), in order.
func pagesOf(all map[string]ocrFieldPage, prefix string) []fields.Page {
	var names []string
	for k := range all {
		if strings.HasPrefix(k, prefix) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	out := make([]fields.Page, len(names))
	for i, n := range names {
		out[i] = all[n].page
	}
	return out
}

func readAdminTruth(t *testing.T) (map[string]adminTruth, map[string]adminStack) {
	t.Helper()
	var docs map[string]adminTruth
	var stacks map[string]adminStack
	for _, x := range []struct {
		file string
		v    any
	}{{"truth.json", &docs}, {"stacks/stacks.json", &stacks}} {
		data, err := os.ReadFile(filepath.Join(adminSamples, x.file))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, x.v); err != nil {
			t.Fatal(err)
		}
	}
	return docs, stacks
}

// same compares after NFC and white-space folding; names (organ, signer) also ignore case.
func same(field, got, want string) bool {
	g := strings.Join(strings.Fields(norm.NFC.String(got)), " ")
	w := strings.Join(strings.Fields(norm.NFC.String(want)), " ")
	switch field {
	case "organName", "signerName":
		return tt05.Fold(g) == tt05.Fold(w)
	case "issuedDate":
		gt, err1 := time.Parse("02/01/2006", g)
		wt, err2 := time.Parse("02/01/2006", w)
		return err1 == nil && err2 == nil && gt.Equal(wt)
	}
	return g == w
}

// fieldTargets are the accuracy targets of issue 15 on the admin samples.
var fieldTargets = map[string]float64{
	"codeNumber": 0.95, "codeNotation": 0.95, "issuedDate": 0.95, "typeName": 0.95, "organName": 0.95,
	"subject": 0.85, "signerName": 0.85,
}

// TestFieldAccuracyOnAdminSamples reads the fields of the 9 admin documents from pages
// processed as the product processes them (ocrAdminSamples: default colour dropout) and
// asserts issue 15's targets. What is still missed: s01's subject ("chỉ phí" for "chi phí",
// both valid syllables, so not corrected) and s03's signer (a bitonal scan where the seal
// is as black as the name).
func TestFieldAccuracyOnAdminSamples(t *testing.T) {
	docs, stacks := readAdminTruth(t)
	all := ocrAdminSamples(t)
	type doc struct {
		id    string
		truth adminTruth
		pages []fields.Page
	}
	var list []doc
	for id, tr := range docs {
		list = append(list, doc{id, tr, pagesOf(all, id+"/")})
	}
	for id, st := range stacks {
		pages := pagesOf(all, "stacks/"+id+"/")
		for i, d := range st.Documents {
			end := len(pages)
			if i+1 < len(st.Documents) {
				end = st.Documents[i+1].FirstPage - 1
			}
			list = append(list, doc{id + "#" + d.TypeName, d, pages[d.FirstPage-1 : end]})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
	if len(list) != 9 {
		t.Fatalf("%d documents, want the 6 documents and the 3 of the stack", len(list))
	}
	right := map[string]int{}
	for _, d := range list {
		if len(d.pages) != max(d.truth.Pages, 1) && d.truth.Pages != 0 {
			t.Fatalf("%s: %d pages, truth says %d", d.id, len(d.pages), d.truth.Pages)
		}
		f := fields.Read(d.pages[0], d.pages[len(d.pages)-1])
		got := map[string]string{"codeNumber": f.CodeNumber.Text, "codeNotation": f.CodeNotation.Text, "issuedDate": f.IssuedDate.Text,
			"typeName": f.TypeName.Text, "organName": f.OrganName.Text, "subject": f.Subject.Text, "signerName": f.SignerName.Text}
		want := map[string]string{"codeNumber": d.truth.CodeNumber, "codeNotation": d.truth.CodeNotation, "issuedDate": d.truth.IssuedDate,
			"typeName": d.truth.TypeName, "organName": d.truth.OrganName, "subject": d.truth.Subject, "signerName": d.truth.SignerName}
		for k := range fieldTargets {
			if same(k, got[k], want[k]) {
				right[k]++
			} else {
				t.Logf("%s %s: read %q, truth %q", d.id, k, got[k], want[k])
			}
		}
	}
	names := make([]string, 0, len(fieldTargets))
	for k := range fieldTargets {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		acc := float64(right[k]) / float64(len(list))
		t.Logf("| %s | %d/%d | %.0f%% | %.0f%% |", k, right[k], len(list), 100*acc, 100*fieldTargets[k])
		if want := fieldTargets[k]; acc < want {
			t.Errorf("%s: %.0f%% right (%d/%d), want at least %.0f%%", k, 100*acc, right[k], len(list), 100*want)
		}
	}
}

func TestStackSplitOnAdminSamples(t *testing.T) {
	_, stacks := readAdminTruth(t)
	all := ocrAdminSamples(t)
	if len(stacks) == 0 {
		t.Fatal("no stack in stacks.json")
	}
	for id, st := range stacks {
		pages := pagesOf(all, "stacks/"+id+"/")
		if len(pages) != st.PageCount {
			t.Fatalf("%s: %d pages, want %d", id, len(pages), st.PageCount)
		}
		firsts, ev := fields.Split(pages)
		if !reflect.DeepEqual(firsts, st.FirstPages) {
			t.Errorf("%s: split at pages %v, want %v (evidence %v)", id, firsts, st.FirstPages, ev)
		}
		for i, e := range ev[1:] {
			if !e.First() || e.Number == "" {
				t.Errorf("%s: document %d starts without evidence: %+v", id, i+2, e)
			}
		}
	}
	// No document of the six splits: none of their later pages looks like a first page.
	docs, _ := readAdminTruth(t)
	for id := range docs {
		if firsts, ev := fields.Split(pagesOf(all, id+"/")); len(firsts) != 1 {
			t.Errorf("%s: split at %v (%v), want one document", id, firsts, ev)
		}
	}
}

func TestSecrecyMarkReadFromPage(t *testing.T) {
	docs, _ := readAdminTruth(t)
	all := ocrAdminSamples(t)
	for id, tr := range docs {
		mark, secret := fields.MarkedSecret(pagesOf(all, id+"/")...)
		if secret != (tr.Secrecy != "") || mark != tr.Secrecy {
			t.Errorf("%s: secrecy read %q (%v), truth %q", id, mark, secret, tr.Secrecy)
		}
		pages := pagesOf(all, id+"/")
		if f := fields.Read(pages[0], pages[len(pages)-1]); f.Urgency.Text != tr.Urgency {
			t.Errorf("%s: urgency read %q, truth %q", id, f.Urgency.Text, tr.Urgency)
		}
	}
}

// BenchmarkFieldReading measures what reading the fields adds to a document, beside the OCR
// time of its pages: x-ocr is the share of the OCR time taken by reading the fields from
// the words (target under 0.02); x-ocr-signer adds the second reading of signer blocks
// whose names the first reading missed (done at the page stage, timed there).
func BenchmarkFieldReading(b *testing.B) {
	all := ocrAdminSamples(b)
	var ocrTime, signerTime time.Duration
	var docs [][]fields.Page
	for _, id := range []string{"s01", "s02", "s03", "s04", "s05", "s06"} {
		docs = append(docs, pagesOf(all, id+"/"))
	}
	for k, p := range all {
		if !strings.HasPrefix(k, "stacks/") {
			ocrTime += p.ocr
			signerTime += p.signer
		}
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		for _, d := range docs {
			fields.Read(d[0], d[len(d)-1])
			fields.MarkedSecret(d...)
		}
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(per.Microseconds())/float64(len(docs)), "µs-fields/doc")
	b.ReportMetric(float64(ocrTime.Milliseconds())/float64(len(docs)), "ms-ocr/doc")
	b.ReportMetric(per.Seconds()/ocrTime.Seconds(), "x-ocr")
	b.ReportMetric((per+signerTime).Seconds()/ocrTime.Seconds(), "x-ocr-signer")
	b.ReportMetric(float64(signerTime.Milliseconds())/float64(len(docs)), "ms-signer/doc")
}

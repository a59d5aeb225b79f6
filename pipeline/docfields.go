package pipeline

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/catalogue"
	"github.com/sohoa-vn/sohoa/pipeline/fields"
	"github.com/sohoa-vn/sohoa/pipeline/mets"
	"github.com/sohoa-vn/sohoa/pipeline/tt05"
)

// StageFields is the stage that reads a document's metadata from its pages.
const StageFields = "fields"

// FlagMetadataMismatch marks a document whose catalogue and page disagree on a field.
const FlagMetadataMismatch = "metadata-mismatch"

// minPageConfidence is the lowest confidence at which a value read from the page fills
// an empty catalogue field.
const minPageConfidence = 0.5

// Mismatch is a field where the catalogue and the page disagree. The catalogue value is kept.
type Mismatch struct {
	Field     string  `json:"field"`
	Catalogue string  `json:"catalogue"`
	Page      string  `json:"page"`
	Conf      float64 `json:"pageConfidence"`
}

// DocFields is what the pages of a document say about its metadata and how it was used.
type DocFields struct {
	Meta       DocMeta                          // the metadata used: the catalogue's, empty fields filled from the page
	Sources    map[string]catalogue.FieldSource // where each used value came from
	Mismatches []Mismatch
	Page       fields.Fields // everything read from the page
	Secrecy    string        // a secrecy mark found on any page: MẬT, TỐI MẬT, TUYỆT MẬT
}

// SecretError is a document whose pages are marked secret, on an installation that is not isolated.
type SecretError struct {
	Mark string
}

func (e *SecretError) Error() string {
	return fmt.Sprintf("tài liệu mang dấu %s: không được xử lý trên hệ thống không cô lập (cấu hình isolated: false) / the pages are marked %s: secret documents are refused on an installation that is not isolated", e.Mark, e.Mark)
}

// fieldPage returns the fields view of a processed page.
func fieldPage(r *PageResult) fields.Page {
	if r == nil || r.OCR == nil {
		return fields.Page{}
	}
	return fields.Page{Words: r.OCR.Words, Width: r.Width, Height: r.Height, SignerWords: r.SignerWords, SignerRegion: r.SignerRegion}
}

// ReadDocumentFields reads the NĐ 30 fields from a document's first page (last page
// for the signer) and merges them with given, its catalogue metadata: catalogue values
// always win; an empty catalogue field takes the page's value when it was read with
// enough confidence, marked as read from the page; a disagreement is a Mismatch.
func ReadDocumentFields(given DocMeta, pages []*PageResult) *DocFields {
	df := &DocFields{Meta: given, Sources: map[string]catalogue.FieldSource{}}
	if len(pages) == 0 || pages[0] == nil {
		return df
	}
	all := make([]fields.Page, 0, len(pages))
	for _, p := range pages {
		all = append(all, fieldPage(p))
	}
	df.Page = fields.Read(all[0], all[len(all)-1])
	df.Secrecy, _ = fields.MarkedSecret(all...)
	merge := func(tag string, dst *string, v fields.Value, agree func(cat, page string) bool) {
		switch {
		case *dst != "" && v.Text != "" && !agree(*dst, v.Text):
			df.Mismatches = append(df.Mismatches, Mismatch{Field: tag, Catalogue: *dst, Page: v.Text, Conf: round2(v.Confidence)})
			df.Sources[tag] = catalogue.FieldSource{Source: catalogue.SourceCatalogue}
		case *dst != "":
			df.Sources[tag] = catalogue.FieldSource{Source: catalogue.SourceCatalogue}
		case v.Text != "" && v.Confidence >= minPageConfidence:
			*dst = v.Text
			df.Sources[tag] = catalogue.FieldSource{Source: catalogue.SourcePage, Confidence: round2(v.Confidence)}
		}
	}
	m := &df.Meta
	p := df.Page
	merge("codeNumber", &m.CodeNumber, p.CodeNumber, func(c, g string) bool { return strings.TrimLeft(c, "0") == strings.TrimLeft(g, "0") })
	merge("codeNotation", &m.CodeNotation, p.CodeNotation, func(c, g string) bool { return tt05.Fold(c) == tt05.Fold(g) })
	merge("issuedDate", &m.IssuedDate, p.IssuedDate, sameDate)
	merge("typeName", &m.TypeName, p.TypeName, func(c, g string) bool {
		ct, ok := tt05.LookupType(c)
		return ok && ct.Name == g || tt05.Fold(c) == tt05.Fold(g)
	})
	organ := p.OrganName
	merge("organName", &m.OrganName, organ, contains)
	merge("subject", &m.Subject, p.Subject, func(c, g string) bool { return contains(stripVV(c), stripVV(g)) })
	merge("signer", &m.Signer, fields.Value{Text: p.Signer(), Confidence: min(p.SignerTitle.Confidence, p.SignerName.Confidence)}, func(c, g string) bool {
		return p.SignerName.Text == "" || strings.Contains(tt05.Fold(c), tt05.Fold(p.SignerName.Text))
	})
	return df
}

// sameDate compares two DD/MM/YYYY dates as dates.
func sameDate(a, b string) bool {
	ta, err1 := time.Parse("02/01/2006", a)
	tb, err2 := time.Parse("02/01/2006", b)
	if err1 != nil || err2 != nil {
		return tt05.Fold(a) == tt05.Fold(b)
	}
	return ta.Equal(tb)
}

// contains reports whether one folded value holds the other: a catalogue writes
// "Sở Văn hóa, Thể thao và Du lịch tỉnh Khánh Nguyên" where the page prints
// "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH".
func contains(a, b string) bool {
	fa, fb := strings.Trim(tt05.Fold(a), " .;"), strings.Trim(tt05.Fold(b), " .;")
	return strings.Contains(fa, fb) || strings.Contains(fb, fa)
}

func stripVV(s string) string {
	f := strings.TrimSpace(s)
	if len(f) > 3 && strings.EqualFold(f[:3], "v/v") {
		return strings.TrimSpace(f[3:])
	}
	return f
}

// metadataEvent is the PREMIS event of a document's metadata read from its pages: which
// values came from the page, with their confidence, and where the page disagreed with the
// catalogue; nil when nothing was read from the page.
func metadataEvent(id, when string, d *docRecord) *mets.Event {
	var details []string
	if d.Split != nil {
		details = append(details, fmt.Sprintf("cut out of the stack %s: pages %v, split by %s", d.Split.Stack, d.Split.Pages, d.Split.By))
	}
	tags := make([]string, 0, len(d.FieldSources))
	for k := range d.FieldSources {
		tags = append(tags, k)
	}
	sort.Strings(tags)
	for _, k := range tags {
		if s := d.FieldSources[k]; s.Source == catalogue.SourcePage {
			details = append(details, fmt.Sprintf("%s read from the page (confidence %.2f)", k, s.Confidence))
		}
	}
	for _, m := range d.Mismatches {
		details = append(details, fmt.Sprintf("%s: catalogue %q kept, the page reads %q (%s)", m.Field, m.Catalogue, m.Page, FlagMetadataMismatch))
	}
	if len(details) == 0 {
		return nil
	}
	ev := mets.NewEvent(id+"-metadata", "metadata extraction", when, "success", details)
	ev.LinkAgent(agentSohoa, "executing program")
	return &ev
}

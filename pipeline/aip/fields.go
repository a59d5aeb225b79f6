package aip

import (
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sohoa-vn/sohoa/pipeline/tt05"
)

// valueKind is how a field's value is written and checked.
type valueKind int

const (
	kText     valueKind = iota // a string of at most Max characters
	kCode                      // one code of Codes
	kCodes                     // one or more codes of Codes, joined by ','
	kCount                     // a non-negative whole number
	kDate                      // DD/MM/YYYY, MM/YYYY or YYYY
	kFullDate                  // DD/MM/YYYY
	kFlag                      // 1 or 0
	kDocCode                   // mã hồ sơ + 7-digit ordinal
)

// field is one element of an EAD or EAD_DOC <simpledc>.
type field struct {
	Tag      string
	Kind     valueKind
	Max      int
	Codes    tt05.CodeList
	Required bool
}

// Schema is the list of fields of one kind of description, from which its
// .xsd file, its writer and its check are all made, so the three agree.
type Schema struct {
	Name   string // file name in schemas/: ead.xsd or ead_doc.xsd
	Fields []field
}

var (
	datePattern     = regexp.MustCompile(`^([0-9]{2}/)?([0-9]{2}/)?[0-9]{4}$`)
	fullDatePattern = regexp.MustCompile(`^[0-9]{2}/[0-9]{2}/[0-9]{4}$`)
	docCodePattern  = regexp.MustCompile(`^.+\.[0-9]{7}$`)
)

// The fields shared by hồ sơ and documents (tt05-packages.md §2).
func txt(tag string, max int, req bool) field {
	return field{Tag: tag, Kind: kText, Max: max, Required: req}
}
func code(tag string, c tt05.CodeList, req bool) field {
	return field{Tag: tag, Kind: kCode, Codes: c, Required: req}
}

// hoSoSchema is EAD.xml of a hồ sơ: 18 fields, fileCode in a SIP and
// arcFileCode in an AIP.
func hoSoSchema(k Kind) Schema {
	first := txt("arcFileCode", 150, true)
	if k == SIP {
		first = txt("fileCode", 100, true)
	}
	return Schema{Name: "ead.xsd", Fields: []field{
		first, txt("title", 1000, true), code("maintenance", tt05.Maintenance, true), code("mode", tt05.Mode, false),
		{Tag: "language", Kind: kCodes, Codes: tt05.Language, Required: true},
		{Tag: "startDate", Kind: kDate}, {Tag: "endDate", Kind: kDate}, txt("keyword", 100, false),
		{Tag: "totalDoc", Kind: kCount, Required: true}, {Tag: "numberOfPaper", Kind: kCount}, {Tag: "numberOfPage", Kind: kCount, Required: true},
		code("format", tt05.Format, false), txt("inforSign", 30, false), code("confidenceLevel", tt05.ConfidenceLevel, true),
		txt("paperFileCode", 100, false), {Tag: "riskRecovery", Kind: kFlag}, code("riskRecoveryStatus", tt05.RiskStatus, false),
		txt("description", 2000, false),
	}}
}

// docSchema is EAD_DOC of a document: 19 fields in an AIP, 21 in a SIP.
func docSchema(k Kind) Schema {
	if k == SIP {
		return Schema{Name: "ead_doc.xsd", Fields: []field{
			txt("docId", 120, true), {Tag: "docCode", Kind: kDocCode, Max: 120, Required: true},
			code("maintenance", tt05.Maintenance, true), code("typeName", tt05.TypeName, true),
			txt("codeNumber", 11, false), txt("codeNotation", 30, false), {Tag: "issuedDate", Kind: kFullDate},
			txt("organName", 200, false), txt("subject", 500, false),
			{Tag: "language", Kind: kCodes, Codes: tt05.Language, Required: true}, {Tag: "numberOfPage", Kind: kCount, Required: true},
			txt("inforSign", 30, false), txt("keyword", 100, false), code("mode", tt05.Mode, false),
			code("confidenceLevel", tt05.ConfidenceLevel, true), txt("autograph", 2000, false), code("format", tt05.Format, false),
			{Tag: "riskRecovery", Kind: kFlag}, code("riskRecoveryStatus", tt05.RiskStatus, false), {Tag: "process", Kind: kFlag},
			txt("description", 2000, false),
		}}
	}
	return Schema{Name: "ead_doc.xsd", Fields: []field{
		txt("arcFileCode", 150, true), code("mode", tt05.Mode, false),
		{Tag: "language", Kind: kCodes, Codes: tt05.Language, Required: true}, txt("keyword", 100, false),
		{Tag: "numberOfPage", Kind: kCount, Required: true}, code("format", tt05.Format, false), txt("inforSign", 30, false),
		code("confidenceLevel", tt05.ConfidenceLevel, true), txt("description", 2000, false),
		{Tag: "docCode", Kind: kDocCode, Max: 120, Required: true}, {Tag: "docOrdinal", Kind: kCount, Required: true},
		code("typeName", tt05.TypeName, true), txt("codeNumber", 11, false), txt("codeNotation", 30, false),
		{Tag: "issuedDate", Kind: kFullDate}, txt("organName", 200, false), txt("subject", 500, false),
		txt("autograph", 2000, false), {Tag: "process", Kind: kFlag},
	}}
}

// XSD returns the schema as an XML Schema document: root <simpledc> with its
// fields in an xs:all.
func (s Schema) XSD() []byte {
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString("<!-- " + s.Name + ": written by sohoa from the field lists of Thông tư 05/2025/TT-BNV (Phụ lục I–IV); no official schema validates the published sample. -->\n")
	b.WriteString(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">` + "\n")
	b.WriteString("  <xs:element name=\"simpledc\">\n    <xs:complexType>\n      <xs:all>\n")
	for _, f := range s.Fields {
		min := "0"
		if f.Required {
			min = "1"
		}
		fmt.Fprintf(&b, "        <xs:element name=%q minOccurs=%q>\n          <xs:simpleType>\n", f.Tag, min)
		for _, line := range f.restriction() {
			b.WriteString("            " + line + "\n")
		}
		b.WriteString("          </xs:simpleType>\n        </xs:element>\n")
	}
	b.WriteString("      </xs:all>\n    </xs:complexType>\n  </xs:element>\n</xs:schema>\n")
	return []byte(b.String())
}

func (f field) restriction() []string {
	alt := func(c tt05.CodeList) string { return "(" + strings.Join(c.Codes(), "|") + ")" }
	switch f.Kind {
	case kCode:
		out := []string{`<xs:restriction base="xs:string">`}
		for _, c := range f.Codes.Codes() {
			out = append(out, fmt.Sprintf(`  <xs:enumeration value=%q/>`, c))
		}
		return append(out, `</xs:restriction>`)
	case kCodes:
		a := alt(f.Codes)
		return []string{`<xs:restriction base="xs:string">`, fmt.Sprintf(`  <xs:pattern value="%s(,%s)*"/>`, a, a), `</xs:restriction>`}
	case kCount:
		return []string{`<xs:restriction base="xs:nonNegativeInteger"/>`}
	case kDate:
		return []string{`<xs:restriction base="xs:string">`, `  <xs:pattern value="([0-9]{2}/)?([0-9]{2}/)?[0-9]{4}"/>`, `</xs:restriction>`}
	case kFullDate:
		return []string{`<xs:restriction base="xs:string">`, `  <xs:pattern value="[0-9]{2}/[0-9]{2}/[0-9]{4}"/>`, `</xs:restriction>`}
	case kFlag:
		return []string{`<xs:restriction base="xs:string">`, `  <xs:enumeration value="0"/>`, `  <xs:enumeration value="1"/>`, `</xs:restriction>`}
	case kDocCode:
		return []string{`<xs:restriction base="xs:string">`, `  <xs:pattern value=".+\.[0-9]{7}"/>`, fmt.Sprintf(`  <xs:maxLength value="%d"/>`, f.Max), `</xs:restriction>`}
	}
	return []string{`<xs:restriction base="xs:string">`, `  <xs:minLength value="1"/>`, fmt.Sprintf(`  <xs:maxLength value="%d"/>`, f.Max), `</xs:restriction>`}
}

// check reports what is wrong with value v of f, or "".
func (f field) check(v string) string {
	switch f.Kind {
	case kCode:
		if _, ok := f.Codes[v]; !ok {
			return fmt.Sprintf("%q is not an allowed code; allowed: %s", v, f.Codes.Allowed())
		}
	case kCodes:
		for _, c := range strings.Split(v, ",") {
			if _, ok := f.Codes[c]; !ok {
				return fmt.Sprintf("%q is not a list of allowed codes; allowed: %s", v, f.Codes.Allowed())
			}
		}
	case kCount:
		if n, err := strconv.Atoi(v); err != nil || n < 0 || strings.TrimSpace(v) != v || strings.HasPrefix(v, "+") {
			return fmt.Sprintf("%q is not a whole number", v)
		}
	case kDate:
		if !datePattern.MatchString(v) {
			return fmt.Sprintf("%q is not a date (DD/MM/YYYY, MM/YYYY or YYYY)", v)
		}
	case kFullDate:
		if !fullDatePattern.MatchString(v) {
			return fmt.Sprintf("%q is not a date (DD/MM/YYYY)", v)
		}
	case kFlag:
		if v != "0" && v != "1" {
			return fmt.Sprintf("%q must be 1 or 0", v)
		}
	case kDocCode:
		if !docCodePattern.MatchString(v) || utf8.RuneCountInString(v) > f.Max {
			return fmt.Sprintf("%q is not a mã hồ sơ followed by a 7-digit ordinal", v)
		}
	default:
		if v == "" {
			return "empty"
		}
		if utf8.RuneCountInString(v) > f.Max {
			return fmt.Sprintf("longer than %d characters", f.Max)
		}
	}
	return ""
}

// Values are the fields of one description by tag; "" is absent.
type Values map[string]string

// Write writes v as a <simpledc> document, its fields in the schema's order.
func (s Schema) Write(w io.Writer, v Values) error {
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString("<simpledc>\n")
	for _, f := range s.Fields {
		if val := v[f.Tag]; val != "" {
			b.WriteString("  <" + f.Tag + ">")
			if err := xml.EscapeText(&b, []byte(val)); err != nil {
				return err
			}
			b.WriteString("</" + f.Tag + ">\n")
		}
	}
	b.WriteString("</simpledc>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// Problems returns what is wrong with v against s, one line each naming the field.
func (s Schema) Problems(v Values) []string {
	var out []string
	for _, f := range s.Fields {
		val := v[f.Tag]
		if val == "" {
			if f.Required {
				out = append(out, f.Tag+": required field missing")
			}
			continue
		}
		if msg := f.check(val); msg != "" {
			out = append(out, f.Tag+": "+msg)
		}
	}
	if v["riskRecovery"] == "1" && v["riskRecoveryStatus"] == "" {
		out = append(out, "riskRecoveryStatus: required when riskRecovery is 1")
	}
	return out
}

// Read reads a <simpledc> document: every child element once, text only, a
// tag of the schema. Unknown, repeated or nested elements are problems.
func (s Schema) Read(r io.Reader) (Values, []string, error) {
	known := map[string]bool{}
	for _, f := range s.Fields {
		known[f.Tag] = true
	}
	dec := xml.NewDecoder(r)
	v := Values{}
	var problems []string
	depth := 0
	root := false
	var cur string
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch depth {
			case 1:
				root = true
				if t.Name.Local != "simpledc" || t.Name.Space != "" {
					return nil, nil, fmt.Errorf("root element is %s, want simpledc", t.Name.Local)
				}
			case 2:
				cur = t.Name.Local
				text.Reset()
				if !known[cur] || t.Name.Space != "" {
					problems = append(problems, cur+": not a field of "+s.Name)
				} else if _, dup := v[cur]; dup {
					problems = append(problems, cur+": given more than once")
				}
			default:
				problems = append(problems, cur+": holds an element ("+t.Name.Local+"), want text")
			}
		case xml.CharData:
			if depth == 2 {
				text.Write(t)
			}
		case xml.EndElement:
			if depth == 2 && known[cur] {
				v[cur] = text.String()
			}
			depth--
		}
	}
	if !root {
		return nil, nil, fmt.Errorf("no simpledc element")
	}
	return v, problems, nil
}

package pdfa

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"
)

// ArchiveNamespace is the XMP namespace of the Vietnamese archival fields (prefix "sohoa").
const ArchiveNamespace = "https://sohoa.vn/ns/archive/1.0/"

// ArchivePrefix is the XMP prefix bound to ArchiveNamespace.
const ArchivePrefix = "sohoa"

// Metadata travels inside the file, in the Info dictionary and XMP (they must agree exactly).
//
// Info and XMP carry the same values: Title = dc:title, Author = dc:creator,
// Producer = pdf:Producer, Creator = xmp:CreatorTool (the Producer),
// CreationDate = xmp:CreateDate = dc:date, ModDate = xmp:ModifyDate. Empty
// fields are left out of both; a zero Date leaves out all dates. Strings are
// normalized to NFC and stripped of control characters.
type Metadata struct {
	Title      string    // dc:title (document subject or hồ sơ title)
	Creator    string    // dc:creator (organName)
	Language   string    // dc:language, default "vi"
	Identifier string    // dc:identifier (docCode)
	Date       time.Time // dc:date / CreationDate / ModDate, written with its time zone offset (e.g. +07:00)
	Producer   string    // e.g. "sohoa 0.1.0"
	DocumentID string    // stable id for the trailer /ID and xmpMM:DocumentID (e.g. derived from the content hash) so output is deterministic
	// Archive holds Vietnamese archival fields (fileCode, docOrdinal, codeNumber, codeNotation, typeName, maintenance, mode,
	// confidenceLevel, paperFileCode ...) written in the sohoa XMP schema (ArchiveNamespace, prefix "sohoa") with the
	// PDF/A extension schema declaration (pdfaExtension/pdfaSchema/pdfaProperty) so PDF/A validators accept it.
	// Keys must be XML names made of ASCII letters and digits starting with a letter; entries with empty values are left out.
	Archive map[string]string
}

// cleanText returns s in NFC without control characters (which XML 1.0 and
// PDF text strings cannot carry reliably), with runs of white space folded.
func cleanText(s string) string {
	s = norm.NFC.String(s)
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case r < 0x20 || r == 0x7F || r >= 0x80 && r < 0xA0 || r == 0xFFFE || r == 0xFFFF:
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// validArchiveKey reports whether k can be an XMP property name in the sohoa schema.
func validArchiveKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for i, c := range k {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// pdfDate formats t as a PDF date with its zone offset, e.g. D:20240115103000+07'00'.
func pdfDate(t time.Time) string {
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("D:%s%c%02d'%02d'", t.Format("20060102150405"), sign, off/3600, off/60%60)
}

// xmpDate formats t as an XMP date with its zone offset, e.g. 2024-01-15T10:30:00+07:00.
func xmpDate(t time.Time) string {
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%s%c%02d:%02d", t.Format("2006-01-02T15:04:05"), sign, off/3600, off/60%60)
}

// pdfTextString encodes s as the hex digits of a PDF text string: plain bytes
// when s is printable ASCII, else UTF-16BE with a byte order mark.
func pdfTextString(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToUpper(hex.EncodeToString([]byte(s)))
	}
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2, 2+2*len(u))
	b[0], b[1] = 0xFE, 0xFF
	for _, c := range u {
		b = append(b, byte(c>>8), byte(c))
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

// xmlEscape escapes s for XML character data and attribute values.
func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}

// docMeta is Metadata cleaned and completed, the single source of both the
// Info dictionary and the XMP packet.
type docMeta struct {
	title, creator, language, identifier, producer, documentID string
	date                                                       time.Time
	archive                                                    [][2]string // sorted by key
}

func newDocMeta(m Metadata, documentID string) (docMeta, error) {
	d := docMeta{
		title:      cleanText(m.Title),
		creator:    cleanText(m.Creator),
		language:   cleanText(m.Language),
		identifier: cleanText(m.Identifier),
		producer:   cleanText(m.Producer),
		documentID: cleanText(documentID),
		date:       m.Date.Truncate(time.Second),
	}
	if d.language == "" {
		d.language = "vi"
	}
	if strings.ContainsAny(d.language, " ()\\") {
		return d, fmt.Errorf("metadata: bad language tag %q", m.Language)
	}
	if !m.Date.IsZero() && (m.Date.Year() < 1000 || m.Date.Year() > 9999) {
		return d, fmt.Errorf("metadata: date %v out of range", m.Date)
	}
	for k, v := range m.Archive {
		if !validArchiveKey(k) {
			return d, fmt.Errorf("metadata: archive key %q is not a valid XMP property name", k)
		}
		if v = cleanText(v); v != "" {
			d.archive = append(d.archive, [2]string{k, v})
		}
	}
	slices.SortFunc(d.archive, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return d, nil
}

// xmpPacket returns the XMP metadata packet for part ("1" or "2", conformance B).
func (d docMeta) xmpPacket(part string) []byte {
	var b strings.Builder
	b.WriteString("<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n")
	b.WriteString("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n")
	b.WriteString(" <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n")
	desc := func(prefix, ns string) {
		fmt.Fprintf(&b, "  <rdf:Description rdf:about=\"\" xmlns:%s=\"%s\">\n", prefix, ns)
	}
	end := func() { b.WriteString("  </rdf:Description>\n") }
	prop := func(name, value string) {
		fmt.Fprintf(&b, "   <%s>%s</%s>\n", name, xmlEscape(value), name)
	}

	desc("pdfaid", "http://www.aiim.org/pdfa/ns/id/")
	prop("pdfaid:part", part)
	prop("pdfaid:conformance", "B")
	end()

	desc("dc", "http://purl.org/dc/elements/1.1/")
	prop("dc:format", "application/pdf")
	if d.title != "" {
		fmt.Fprintf(&b, "   <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">%s</rdf:li></rdf:Alt></dc:title>\n", xmlEscape(d.title))
	}
	if d.creator != "" {
		fmt.Fprintf(&b, "   <dc:creator><rdf:Seq><rdf:li>%s</rdf:li></rdf:Seq></dc:creator>\n", xmlEscape(d.creator))
	}
	fmt.Fprintf(&b, "   <dc:language><rdf:Bag><rdf:li>%s</rdf:li></rdf:Bag></dc:language>\n", xmlEscape(d.language))
	if d.identifier != "" {
		prop("dc:identifier", d.identifier)
	}
	if !d.date.IsZero() {
		fmt.Fprintf(&b, "   <dc:date><rdf:Seq><rdf:li>%s</rdf:li></rdf:Seq></dc:date>\n", xmpDate(d.date))
	}
	end()

	if !d.date.IsZero() || d.producer != "" {
		desc("xmp", "http://ns.adobe.com/xap/1.0/")
		if !d.date.IsZero() {
			prop("xmp:CreateDate", xmpDate(d.date))
			prop("xmp:ModifyDate", xmpDate(d.date))
			prop("xmp:MetadataDate", xmpDate(d.date))
		}
		if d.producer != "" {
			prop("xmp:CreatorTool", d.producer)
		}
		end()
	}
	if d.producer != "" {
		desc("pdf", "http://ns.adobe.com/pdf/1.3/")
		prop("pdf:Producer", d.producer)
		end()
	}
	desc("xmpMM", "http://ns.adobe.com/xap/1.0/mm/")
	prop("xmpMM:DocumentID", d.documentID)
	end()

	if len(d.archive) > 0 {
		desc(ArchivePrefix, ArchiveNamespace)
		for _, kv := range d.archive {
			prop(ArchivePrefix+":"+kv[0], kv[1])
		}
		end()

		b.WriteString("  <rdf:Description rdf:about=\"\"" +
			" xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\"" +
			" xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\"" +
			" xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\">\n")
		b.WriteString("   <pdfaExtension:schemas>\n    <rdf:Bag>\n     <rdf:li rdf:parseType=\"Resource\">\n")
		b.WriteString("      <pdfaSchema:schema>sohoa Vietnamese archival metadata</pdfaSchema:schema>\n")
		fmt.Fprintf(&b, "      <pdfaSchema:namespaceURI>%s</pdfaSchema:namespaceURI>\n", ArchiveNamespace)
		fmt.Fprintf(&b, "      <pdfaSchema:prefix>%s</pdfaSchema:prefix>\n", ArchivePrefix)
		b.WriteString("      <pdfaSchema:property>\n       <rdf:Seq>\n")
		for _, kv := range d.archive {
			b.WriteString("        <rdf:li rdf:parseType=\"Resource\">\n")
			fmt.Fprintf(&b, "         <pdfaProperty:name>%s</pdfaProperty:name>\n", kv[0])
			b.WriteString("         <pdfaProperty:valueType>Text</pdfaProperty:valueType>\n")
			b.WriteString("         <pdfaProperty:category>external</pdfaProperty:category>\n")
			fmt.Fprintf(&b, "         <pdfaProperty:description>Archival field %s</pdfaProperty:description>\n", kv[0])
			b.WriteString("        </rdf:li>\n")
		}
		b.WriteString("       </rdf:Seq>\n      </pdfaSchema:property>\n")
		b.WriteString("     </rdf:li>\n    </rdf:Bag>\n   </pdfaExtension:schemas>\n  </rdf:Description>\n")
	}

	b.WriteString(" </rdf:RDF>\n</x:xmpmeta>\n")
	// No padding: an archival copy is sealed and never updated in place
	// (padding would cost 2 KB a document), hence end="r", read-only.
	b.WriteString("<?xpacket end=\"r\"?>")
	return []byte(b.String())
}

package alto

import (
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// This file checks documents against the part of the ALTO v4.4 schema
// (alto-4-4.xsd) that a text-only OCR document can use. No ALTO schema is
// installed on the build machine and there is no network, so instead of
// xmllint --schema the content models and attribute declarations below are
// transcribed from the schema: child order as a regular expression over the
// child element names, the allowed attributes with their XSD types, and the
// required ones. Elements the schema allows but this subset does not model
// (Styles, Tags, ReadingOrder, Illustration, ...) are reported as unknown,
// which is stricter than the schema, never looser.

// node is a parsed element.
type node struct {
	name     xml.Name
	attrs    []xml.Attr
	children []*node
	text     strings.Builder
}

// rule is the declaration of one element.
type rule struct {
	content  string            // regexp over child names, each followed by a space
	attrs    map[string]string // attribute name -> XSD type
	required []string
	text     string // XSD type of the text content; "" means element-only content
}

const (
	tFloat      = "float"
	tID         = "ID"
	tIDREF      = "IDREF"
	tIDREFS     = "IDREFS"
	tLang       = "language"
	tLangs      = "languages"
	tString     = "string"
	tBool       = "boolean"
	tConf       = "confidence" // xsd:float in [0, 1]
	tUnit       = "MeasurementUnitType"
	tCategory   = "processingCategoryType"
	tDir        = "InlineDirType"
	tQuality    = "QualityType"
	tPosition   = "PositionType"
	tSubs       = "SUBS_TYPEType"
	tFontStyles = "fontStylesType"
	tDateTime   = "dateTimeType"
)

// altoRules returns the declarations, keyed by local name.
func altoRules() map[string]rule {
	pos := func(extra map[string]string) map[string]string {
		m := map[string]string{"HEIGHT": tFloat, "WIDTH": tFloat, "HPOS": tFloat, "VPOS": tFloat}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	step := `^(processingCategory )?(processingDateTime )?(processingAgency )?(processingStepDescription )*(processingStepSettings )?(processingSoftware )?$`
	text := func(t string) rule { return rule{content: `^$`, attrs: map[string]string{}, text: t} }
	return map[string]rule{
		"alto": {
			content: `^(Description )?(Styles )?(Tags )?(ReadingOrder )?Layout $`,
			attrs:   map[string]string{"SCHEMAVERSION": tString},
		},
		"Description":     {content: `^MeasurementUnit (sourceImageInformation )?(OCRProcessing )*(Processing )*$`},
		"MeasurementUnit": text(tUnit),
		"sourceImageInformation": {
			content: `^(fileName )?(fileIdentifier )*(documentIdentifier )*$`,
		},
		"fileName": text(tString),
		"OCRProcessing": {
			content:  `^(preProcessingStep )*ocrProcessingStep (postProcessingStep )*$`,
			attrs:    map[string]string{"ID": tID},
			required: []string{"ID"},
		},
		"Processing":                {content: step, attrs: map[string]string{"ID": tID}, required: []string{"ID"}},
		"preProcessingStep":         {content: step},
		"ocrProcessingStep":         {content: step},
		"postProcessingStep":        {content: step},
		"processingCategory":        text(tCategory),
		"processingDateTime":        text(tDateTime),
		"processingAgency":          text(tString),
		"processingStepDescription": text(tString),
		"processingStepSettings":    text(tString),
		"processingSoftware": {
			content: `^(softwareCreator )?(softwareName )?(softwareVersion )?(applicationDescription )?$`,
		},
		"softwareCreator":        text(tString),
		"softwareName":           text(tString),
		"softwareVersion":        text(tString),
		"applicationDescription": text(tString),
		"Layout":                 {content: `^(Page )+$`, attrs: map[string]string{"STYLEREFS": tIDREFS}},
		"Page": {
			content: `^(TopMargin )?(LeftMargin )?(RightMargin )?(BottomMargin )?(PrintSpace )?$`,
			attrs: map[string]string{
				"ID": tID, "PAGECLASS": tString, "STYLEREFS": tIDREFS, "PROCESSINGREFS": tIDREFS,
				"HEIGHT": tFloat, "WIDTH": tFloat, "PHYSICAL_IMG_NR": tFloat, "PRINTED_IMG_NR": tString,
				"QUALITY": tQuality, "QUALITY_DETAIL": tString, "POSITION": tPosition, "PROCESSING": tIDREF,
				"ACCURACY": tFloat, "PC": tConf, "ROTATION": tFloat, "LANG": tLang, "OTHERLANGS": tLangs,
			},
			required: []string{"ID", "PHYSICAL_IMG_NR"},
		},
		"PrintSpace": {
			content: `^(Shape )?((TextBlock|Illustration|GraphicalElement|ComposedBlock) )*$`,
			attrs:   pos(map[string]string{"ID": tID, "STYLEREFS": tIDREFS, "PROCESSINGREFS": tIDREFS}),
		},
		"TextBlock": {
			content: `^(Shape )?(TextLine )*$`,
			attrs: pos(map[string]string{
				"ID": tID, "STYLEREFS": tIDREFS, "TAGREFS": tIDREFS, "PROCESSINGREFS": tIDREFS,
				"ROTATION": tFloat, "IDNEXT": tIDREF, "CS": tBool, "language": tLang, "LANG": tLang,
				"BASEDIRECTION": tDir,
			}),
			required: []string{"ID"},
		},
		"TextLine": {
			content: `^(Shape )?(String (SP )?)+(HYP )?$`,
			attrs: pos(map[string]string{
				"ID": tID, "STYLEREFS": tIDREFS, "TAGREFS": tIDREFS, "PROCESSINGREFS": tIDREFS,
				"BASELINE": tString, "LANG": tLang, "CS": tBool, "BASEDIRECTION": tDir,
			}),
		},
		"String": {
			content: `^(Shape )?(ALTERNATIVE )*(Glyph )*$`,
			attrs: pos(map[string]string{
				"ID": tID, "STYLEREFS": tIDREFS, "TAGREFS": tIDREFS, "PROCESSINGREFS": tIDREFS,
				"CONTENT": tString, "STYLE": tFontStyles, "SUBS_TYPE": tSubs, "SUBS_CONTENT": tString,
				"WC": tConf, "CC": tString, "CS": tBool, "LANG": tLang,
			}),
			required: []string{"CONTENT"},
		},
		"Tags": {content: `^((LayoutTag|StructureTag|RoleTag|NamedEntityTag|OtherTag) )*$`},
		"OtherTag": {
			content:  `^(XmlData )?$`,
			attrs:    map[string]string{"ID": tID, "TYPE": tString, "LABEL": tString, "DESCRIPTION": tString, "URI": tString},
			required: []string{"ID"},
		},
		"SP":  {content: `^$`, attrs: pos(map[string]string{"ID": tID})},
		"HYP": {content: `^$`, attrs: pos(map[string]string{"CONTENT": tString}), required: []string{"CONTENT"}},
	}
}

// parseTree reads a whole document into a tree of nodes.
func parseTree(r io.Reader) (*node, error) {
	dec := xml.NewDecoder(r)
	var stack []*node
	var root *node
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name, attrs: t.Copy().Attr}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else if root != nil {
				return nil, fmt.Errorf("second root element %s", t.Name.Local)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return root, nil
}

// validateALTO checks a document against the ALTO v4 subset above and
// returns every violation found.
func validateALTO(r io.Reader) []error {
	root, err := parseTree(r)
	if err != nil {
		return []error{fmt.Errorf("parse: %w", err)}
	}
	v := &validator{rules: altoRules(), ids: map[string]bool{}}
	if root.name.Local != "alto" || root.name.Space != Namespace {
		v.errorf("root is {%s}%s, want {%s}alto", root.name.Space, root.name.Local, Namespace)
	}
	loc := ""
	for _, a := range root.attrs {
		if a.Name.Space == xsiNamespace && a.Name.Local == "schemaLocation" {
			loc = a.Value
		}
	}
	if f := strings.Fields(loc); len(f) != 2 || f[0] != Namespace || f[1] != SchemaURL {
		v.errorf("xsi:schemaLocation = %q, want %q", loc, Namespace+" "+SchemaURL)
	}
	v.check(root, "/alto")
	for _, ref := range v.refs {
		if !v.ids[ref] {
			v.errorf("IDREF %q points at no ID", ref)
		}
	}
	return v.errs
}

type validator struct {
	rules map[string]rule
	ids   map[string]bool
	refs  []string
	errs  []error
	re    map[string]*regexp.Regexp // compiled patterns by source
}

// match reports whether s matches pattern, compiling each pattern once.
func (v *validator) match(pattern, s string) bool {
	if v.re == nil {
		v.re = map[string]*regexp.Regexp{}
	}
	re, ok := v.re[pattern]
	if !ok {
		re = regexp.MustCompile(pattern)
		v.re[pattern] = re
	}
	return re.MatchString(s)
}

func (v *validator) errorf(format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf(format, args...))
}

func (v *validator) check(n *node, path string) {
	r, ok := v.rules[n.name.Local]
	if !ok || n.name.Space != Namespace {
		v.errorf("%s: element {%s}%s not allowed", path, n.name.Space, n.name.Local)
		return
	}
	var seq strings.Builder
	for _, c := range n.children {
		seq.WriteString(c.name.Local + " ")
	}
	if !v.match(r.content, seq.String()) {
		v.errorf("%s: children [%s] do not match %s", path, strings.TrimSpace(seq.String()), r.content)
	}
	if r.text == "" {
		if s := strings.TrimSpace(n.text.String()); s != "" {
			v.errorf("%s: text %q in element-only content", path, s)
		}
	} else if err := v.value(r.text, n.text.String()); err != nil {
		v.errorf("%s: content: %v", path, err)
	}
	seen := map[string]bool{}
	for _, a := range n.attrs {
		if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
			continue
		}
		if n.name.Local == "alto" && a.Name.Space == xsiNamespace {
			continue
		}
		t, ok := r.attrs[a.Name.Local]
		if !ok || a.Name.Space != "" {
			v.errorf("%s: attribute %s not allowed", path, a.Name.Local)
			continue
		}
		seen[a.Name.Local] = true
		if err := v.value(t, a.Value); err != nil {
			v.errorf("%s/@%s: %v", path, a.Name.Local, err)
		}
	}
	for _, name := range r.required {
		if !seen[name] {
			v.errorf("%s: required attribute %s missing", path, name)
		}
	}
	for i, c := range n.children {
		v.check(c, fmt.Sprintf("%s/%s[%d]", path, c.name.Local, i+1))
	}
}

// value checks s against an XSD simple type of the subset.
func (v *validator) value(typ, s string) error {
	const (
		ncname = `^[A-Za-z_][A-Za-z0-9._-]*$`
		lang   = `^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$`
		float  = `^([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|-?INF|NaN)$`
		date   = `^-?[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?)?)?)?(Z|[+-][0-9]{2}:[0-9]{2})?$`
	)
	oneOf := func(s string, vals ...string) error {
		for _, x := range vals {
			if s == x {
				return nil
			}
		}
		return fmt.Errorf("%q not one of %v", s, vals)
	}
	// XSD collapses white space of every type here except xsd:string.
	if typ != tString {
		s = strings.Join(strings.Fields(s), " ")
	}
	switch typ {
	case tString:
		return nil
	case tFloat:
		if !v.match(float, s) {
			return fmt.Errorf("%q is not an xsd:float", s)
		}
	case tConf:
		f, err := strconv.ParseFloat(s, 64)
		if !v.match(float, s) || err != nil || f < 0 || f > 1 {
			return fmt.Errorf("%q is not a float in [0, 1]", s)
		}
	case tID:
		if !v.match(ncname, s) {
			return fmt.Errorf("%q is not an NCName", s)
		}
		if v.ids[s] {
			return fmt.Errorf("duplicate ID %q", s)
		}
		v.ids[s] = true
	case tIDREF, tIDREFS:
		for _, ref := range strings.Fields(s) {
			v.refs = append(v.refs, ref)
		}
		if s == "" {
			return fmt.Errorf("empty IDREF")
		}
	case tLang:
		if !v.match(lang, s) {
			return fmt.Errorf("%q is not an xsd:language", s)
		}
	case tLangs:
		for _, l := range strings.Fields(s) {
			if !v.match(lang, l) {
				return fmt.Errorf("%q is not an xsd:language", l)
			}
		}
	case tBool:
		return oneOf(s, "true", "false", "1", "0")
	case tUnit:
		return oneOf(s, "pixel", "mm10", "inch1200")
	case tCategory:
		for _, c := range strings.Fields(s) {
			if err := oneOf(c, "contentGeneration", "contentModification", "preOperation", "postOperation", "other"); err != nil {
				return err
			}
		}
	case tDir:
		return oneOf(s, "ltr", "rtl", "ttb", "btt")
	case tQuality:
		return oneOf(s, "OK", "Missing", "Missing in original", "Damaged", "Retained", "Target", "As in original")
	case tPosition:
		return oneOf(s, "Left", "Right", "Foldout", "Single", "Cover")
	case tSubs:
		return oneOf(s, "HypPart1", "HypPart2", "Abbreviation")
	case tFontStyles:
		if s == "" {
			return fmt.Errorf("empty font style list")
		}
		for _, f := range strings.Fields(s) {
			if err := oneOf(f, "bold", "italics", "smallcaps", "strikethrough", "subscript", "superscript", "underline"); err != nil {
				return err
			}
		}
	case tDateTime:
		if !v.match(date, s) {
			return fmt.Errorf("%q is not a date, dateTime, gYear or gYearMonth", s)
		}
	default:
		return fmt.Errorf("unknown type %s", typ)
	}
	return nil
}

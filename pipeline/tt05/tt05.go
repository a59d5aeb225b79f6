// Package tt05 holds the code lists and document type names of Thông tư 05/2025/TT-BNV and
// Nghị định 30/2020/NĐ-CP that the batch validator, the spreadsheet catalogue and the field
// reader share, so that a code means the same thing everywhere.
package tt05

import (
	"sort"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// CodeList maps a two-digit code to its Vietnamese name.
type CodeList map[string]string

// Code lists of TT 05/2025 (vn-archives.md).
var (
	Maintenance     = CodeList{"01": "Vĩnh viễn", "02": "70 năm", "03": "50 năm", "04": "30 năm", "05": "20 năm", "06": "10 năm", "07": "Khác"}
	Mode            = CodeList{"01": "Công khai", "02": "Sử dụng có điều kiện", "03": "Mật"}
	Language        = CodeList{"01": "Việt", "02": "Anh", "03": "Pháp", "04": "Nga", "05": "Trung", "06": "Việt-Anh", "07": "Việt-Nga", "08": "Việt-Pháp", "09": "Hán Nôm", "10": "Việt-Trung", "11": "Khác"}
	Format          = CodeList{"01": "Tốt", "02": "Bình thường", "03": "Hỏng"}
	ConfidenceLevel = CodeList{"01": "Gốc điện tử", "02": "Số hóa", "03": "Hỗn hợp"}
	RiskStatus      = CodeList{"01": "Đã dự phòng", "02": "Chưa dự phòng"}
)

// Codes returns the codes of c in order.
func (c CodeList) Codes() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys) // two-digit codes: string order is numeric order
	return keys
}

// Entries returns "01 Vĩnh viễn", "02 70 năm", … in code order.
func (c CodeList) Entries() []string {
	var out []string
	for _, k := range c.Codes() {
		out = append(out, k+" "+c[k])
	}
	return out
}

// Allowed returns the list as one line, for messages.
func (c CodeList) Allowed() string { return strings.Join(c.Entries(), ", ") }

// Lookup returns the code that v stands for: the code itself, the code without
// its leading zero ("1"), the name ("Vĩnh viễn", any case) or the entry of a
// drop-down list ("01 Vĩnh viễn"). ok is false when v stands for no code.
func (c CodeList) Lookup(v string) (code string, ok bool) {
	v = strings.TrimSpace(v)
	if _, ok := c[v]; ok {
		return v, true
	}
	if len(v) == 1 && v[0] >= '1' && v[0] <= '9' {
		if _, ok := c["0"+v]; ok {
			return "0" + v, true
		}
	}
	f := Fold(v)
	for _, k := range c.Codes() {
		if Fold(c[k]) == f || Fold(k+" "+c[k]) == f || Fold(k+" - "+c[k]) == f {
			return k, true
		}
	}
	return "", false
}

// DocType is a type of document: its TT 05/2025 typeName code (Phụ lục I)
// and, for the administrative documents of NĐ 30/2020 (Phụ lục III), the
// abbreviation that opens their notation.
type DocType struct {
	Code   string // TT 05 typeName code: "02"
	Name   string // Vietnamese name, as written in the catalogue: Quyết định
	Abbrev string // abbreviation used in a notation: QĐ ("" for công văn, thư công and the types NĐ 30 does not list)
}

// DocTypes are the 32 document types of TT 05/2025's typeName list, in code
// order: the types the catalogue offers and the field reader recognises.
var DocTypes = []DocType{
	{"01", "Nghị quyết", "NQ"}, {"02", "Quyết định", "QĐ"}, {"03", "Chỉ thị", "CT"}, {"04", "Quy chế", "QC"},
	{"05", "Quy định", "QyĐ"}, {"06", "Thông cáo", "TC"}, {"07", "Thông báo", "TB"}, {"08", "Hướng dẫn", "HD"},
	{"09", "Chương trình", "CTr"}, {"10", "Kế hoạch", "KH"}, {"11", "Phương án", "PA"}, {"12", "Đề án", "ĐA"},
	{"13", "Dự án", "DA"}, {"14", "Báo cáo", "BC"}, {"15", "Tờ trình", "TTr"}, {"16", "Giấy ủy quyền", "GUQ"},
	{"17", "Phiếu gửi", "PG"}, {"18", "Phiếu chuyển", "PC"}, {"19", "Phiếu báo", "PB"}, {"20", "Biên bản", "BB"},
	{"21", "Hợp đồng", "HĐ"}, {"22", "Công văn", ""}, {"23", "Công điện", "CĐ"}, {"24", "Bản ghi nhớ", "BGN"},
	{"25", "Bản thỏa thuận", "BTT"}, {"26", "Giấy mời", "GM"}, {"27", "Giấy giới thiệu", "GGT"},
	{"28", "Giấy nghỉ phép", "GNP"}, {"29", "Thư công", ""}, {"30", "Bản đồ", ""}, {"31", "Bản vẽ kỹ thuật", ""},
	{"32", "Khác", ""},
}

// TypeNames returns the names of DocTypes, in order.
func TypeNames() []string {
	out := make([]string, len(DocTypes))
	for i, t := range DocTypes {
		out[i] = t.Name
	}
	return out
}

// LookupType returns the document type that v names: its name in any case, or its abbreviation.
func LookupType(v string) (DocType, bool) {
	f := Fold(v)
	for _, t := range DocTypes {
		if Fold(t.Name) == f {
			return t, true
		}
	}
	for _, t := range DocTypes {
		if t.Abbrev != "" && t.Abbrev == strings.TrimSpace(v) {
			return t, true
		}
	}
	for _, t := range DocTypes {
		if t.Abbrev != "" && Fold(t.Abbrev) == f {
			return t, true
		}
	}
	return DocType{}, false
}

// Fold returns v in NFC, lower case, with runs of white space folded to one space and trimmed:
// the form in which two values are compared.
func Fold(v string) string {
	return strings.Join(strings.Fields(strings.ToLower(norm.NFC.String(v))), " ")
}

// TypeName is the typeName code list of TT 05/2025 (Phụ lục I), made from
// DocTypes: packages carry the code, not the name.
var TypeName = typeNames()

func typeNames() CodeList {
	c := CodeList{}
	for _, t := range DocTypes {
		c[t.Code] = t.Name
	}
	return c
}

// TypeCode returns the TT 05 typeName code of v: a code ("02", "2"), a name in
// any case ("Quyết định") or an abbreviation of DocTypes ("QĐ"). ok is false
// when v names no type.
func TypeCode(v string) (code string, ok bool) {
	if c, ok := TypeName.Lookup(v); ok {
		return c, true
	}
	if t, ok := LookupType(v); ok {
		return t.Code, true
	}
	return "", false
}

package pipeline

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// ErrNotCorrectable is returned by CorrectField for a field a reviewer cannot
// correct: unknown, not text, or an identifier (docCode, docOrdinal).
var ErrNotCorrectable = errors.New("not a field that can be corrected")

// CorrectField sets the metadata field named by its JSON name (subject,
// issuedDate, codeNotation, ...) of m, a document of the hồ sơ fileCode, to
// value, checked as at submission (the rules of batch.json and the
// catalogue). It returns the value before; m is unchanged on error.
func CorrectField(fileCode string, m *DocMeta, field, value string) (string, error) {
	v := reflect.ValueOf(m).Elem()
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != field {
			continue
		}
		if t.Field(i).Type.Kind() != reflect.String || name == "docCode" {
			break
		}
		f := v.Field(i)
		before := f.String()
		next := *m
		reflect.ValueOf(&next).Elem().Field(i).SetString(value)
		var list []Problem
		problems{list: &list}.validateDoc(fileCode, &next)
		for _, p := range list {
			if p.Field == field {
				return before, fmt.Errorf("%s %q: %s", field, p.Value, p.What)
			}
		}
		*m = next
		return before, nil
	}
	return "", fmt.Errorf("%q: %w", field, ErrNotCorrectable)
}

package queue

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Layout limits of this package (issue 11): a file per concern, functions
// with one job.
const (
	maxFileLines = 400
	maxFuncLines = 80
	// longMarker, in a function's doc comment followed by the reason, lets it
	// be longer than maxFuncLines.
	longMarker = "layout: long:"
)

// No file of the package is longer than maxFileLines, and no function
// longer than maxFuncLines unless its doc comment says why (longMarker).
func TestLayout(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil || len(names) == 0 {
		t.Fatalf("no Go files (%v)", err)
	}
	fset := token.NewFileSet()
	funcs := 0
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(src), "\n"); n > maxFileLines {
			t.Errorf("%s: %d lines, more than %d", name, n, maxFileLines)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			funcs++
			n := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
			if n > maxFuncLines && !strings.Contains(fd.Doc.Text(), longMarker) {
				t.Errorf("%s: %s is %d lines, more than %d (or say why with %q in its doc comment)", name, fd.Name.Name, n, maxFuncLines, longMarker)
			}
		}
	}
	if funcs < 100 {
		t.Errorf("only %d functions found: is the test reading the package?", funcs)
	}
}

package drawbridge

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// exampleNameRE matches the name of an Example function in prose.
var exampleNameRE = regexp.MustCompile(`\bExample(?:[A-Z_][A-Za-z0-9_]*)?\b`)

// TestDocExamples checks that every package's doc.go names Example
// functions that exist in that package's tests, and names at least one when
// the package has any: go doc lists no examples, so the package comment is
// where a reader learns of them.
func TestDocExamples(t *testing.T) {
	docs := 0
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != "." {
				return filepath.SkipDir // a nested module
			}
			return nil
		}
		if d.Name() != "doc.go" {
			return nil
		}
		docs++
		dir := filepath.Dir(path)
		doc, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		have := examples(t, dir)
		named := exampleNameRE.FindAllString(string(doc), -1)
		for _, n := range named {
			if !slices.Contains(have, n) {
				t.Errorf("%s names %s, which no _test.go file of %s defines", path, n, dir)
			}
		}
		if len(have) > 0 && len(named) == 0 {
			t.Errorf("%s names none of the package's examples %v", path, have)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if docs < 5 {
		t.Errorf("found %d doc.go files: is the walk still right?", docs)
	}
}

// examples returns the names of the Example functions in the _test.go files
// of dir.
func examples(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && strings.HasPrefix(fd.Name.Name, "Example") {
				names = append(names, fd.Name.Name)
			}
		}
	}
	return names
}

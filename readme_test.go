package drawbridge_test

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's Go samples are tested by being functions of
// example_readme_test.go: Example_router, which go test runs and whose
// output it compares with its // Output: comment, and TestShopEdge, a test
// like any other. TestReadmeSamples checks that every ```go block of
// README.md is, character for character, one of those functions: its whole
// declaration, or its body without the tab of indentation and without the
// trailing // Output: comment. So the compiler sees exactly the README's
// text and go test runs it, with no generated module, no go command started
// from a test and no network; a sample that drifts from its function fails
// here with the line of the block. The other way round, every Example and
// Test of that file must appear in the README, so none is kept alive for
// nothing. (The README's shell sample, edgegen on a file of one's own, is
// run by examples/edgegen's TestReadmeOwnFile.)

const samplesFile = "example_readme_test.go"

// block is one fenced code block of a markdown file.
type block struct {
	lang string
	text string // without the fences, ending in a newline
	line int    // of the opening fence, from 1
}

// fences returns the fenced code blocks of md, opened and closed by lines
// starting with ```.
func fences(md string) []block {
	var out []block
	var cur *block
	for i, l := range strings.SplitAfter(md, "\n") {
		trimmed := strings.TrimRight(l, "\n")
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			cur = &block{lang: strings.TrimSpace(trimmed[3:]), line: i + 1}
		case cur != nil && strings.TrimSpace(trimmed) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text += l
		}
	}
	return out
}

// sample is the two forms a README block may take of a function.
type sample struct {
	name, decl, body string
}

// samples returns the functions of file in their two README forms.
func samples(t *testing.T, file string) []sample {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	off := func(p token.Pos) int { return fset.Position(p).Offset }
	var out []sample
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		s := sample{name: fd.Name.Name}
		s.decl = string(src[off(fd.Type.Func):off(fd.End())]) + "\n"
		var body strings.Builder
		for _, l := range strings.SplitAfter(string(src[off(fd.Body.Lbrace)+1:off(fd.Body.Rbrace)]), "\n") {
			if strings.TrimSpace(l) == "// Output:" {
				break
			}
			body.WriteString(strings.TrimPrefix(l, "\t"))
		}
		s.body = strings.TrimLeft(body.String(), "\n")
		out = append(out, s)
	}
	return out
}

func TestReadmeSamples(t *testing.T) {
	md, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	funcs := samples(t, samplesFile)
	shown := map[string]bool{}
	n := 0
	for _, b := range fences(string(md)) {
		if b.lang != "go" {
			continue
		}
		n++
		found := false
		for _, s := range funcs {
			if b.text == s.decl || b.text == s.body {
				shown[s.name], found = true, true
			}
		}
		if !found {
			t.Errorf("README.md:%d: this go block is no function of %s (its whole declaration, or its body without one tab of indentation and the // Output: comment); the two must stay the same", b.line, samplesFile)
		}
	}
	if n == 0 {
		t.Error("README.md has no go block")
	}
	for _, s := range funcs {
		if (strings.HasPrefix(s.name, "Example") || strings.HasPrefix(s.name, "Test")) && !shown[s.name] {
			t.Errorf("%s: %s is not shown in README.md", samplesFile, s.name)
		}
	}
}

// TestReadmeCommands checks that the README gives the two set-up commands
// as blocks of their own, and that CI runs the README's test command.
// (examples/edgegen's TestDefault checks what the first one prints.)
func TestReadmeCommands(t *testing.T) {
	md, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	const run, test = "go run ./examples/edgegen\n", "go test -race -shuffle=on ./...\n"
	has := map[string]bool{}
	for _, b := range fences(string(md)) {
		has[b.text] = true
	}
	for _, c := range []string{run, test} {
		if !has[c] {
			t.Errorf("README.md has no block holding just %q", strings.TrimSpace(c))
		}
	}
	ci, err := os.ReadFile(filepath.Join(".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(ci, []byte("\n"+test)) {
		t.Errorf(".ci/run does not run %q", strings.TrimSpace(test))
	}
}

// linkRE matches the target of an inline markdown link or image,
// [text](target) or [text](target "title"), and of an HTML src or href.
var linkRE = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)|(?:src|href)="([^"]+)"`)

// schemeRE matches a link with a scheme (https:, mailto:), which is not a
// path in the repository.
var schemeRE = regexp.MustCompile(`^[a-z][a-z0-9+.-]*:`)

// TestDocLinks checks that every relative link of the top-level markdown
// files names a file or directory of this repository: a link out of it
// (../) would break for everyone who reads the repository on its own.
func TestDocLinks(t *testing.T) {
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"README.md", "PERFORMANCE.md", "CHANGELOG.md"} {
		md, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		// Links in code blocks are text, not links.
		text := string(md)
		for _, b := range fences(text) {
			text = strings.Replace(text, b.text, "", 1)
		}
		links := 0
		for _, m := range linkRE.FindAllStringSubmatch(text, -1) {
			target := m[1] + m[2]
			if strings.HasPrefix(target, "#") || schemeRE.MatchString(target) {
				continue // an anchor, or https:, mailto:...
			}
			links++
			path, _, _ := strings.Cut(target, "#")
			abs := filepath.Join(root, filepath.FromSlash(path))
			if rel, err := filepath.Rel(root, abs); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				t.Errorf("%s: link %q leaves the repository", name, target)
				continue
			}
			if _, err := os.Stat(abs); err != nil {
				t.Errorf("%s: link %q: %v", name, target, err)
			}
		}
		if links == 0 && name == "README.md" {
			// README.md links the other files: none found means the
			// pattern no longer matches its links.
			t.Errorf("%s: no relative link found: is the pattern still right?", name)
		}
	}
}

// Package golden keeps expected test outputs in txtar archives next to the
// tests and rewrites them when tests run with -update.
//
// An archive is a comment followed by files, each introduced by a line
// "-- name --" (the txtar format of golang.org/x/tools/txtar). Tests read an
// input from one file of the archive and compare their outputs with other
// files; with -update the outputs are written back instead.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files with the current output")

// Updating reports whether the tests run with -update.
func Updating() bool { return *update }

// File is one file of an archive.
type File struct {
	Name string
	Data []byte
}

// Archive is a parsed txtar archive.
type Archive struct {
	Comment []byte
	Files   []File
}

// Parse parses a txtar archive. It never fails: text before the first file
// marker is the comment.
func Parse(data []byte) *Archive {
	a := &Archive{}
	var cur *File
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			data = nil
		}
		if name, ok := marker(line); ok {
			a.Files = append(a.Files, File{Name: name})
			cur = &a.Files[len(a.Files)-1]
			continue
		}
		if cur == nil {
			a.Comment = append(a.Comment, line...)
		} else {
			cur.Data = append(cur.Data, line...)
		}
	}
	return a
}

func marker(line []byte) (string, bool) {
	s := strings.TrimRight(string(line), "\r\n")
	if strings.HasPrefix(s, "-- ") && strings.HasSuffix(s, " --") && len(s) > 6 {
		return strings.TrimSpace(s[3 : len(s)-3]), true
	}
	return "", false
}

// Format returns the archive's text.
func (a *Archive) Format() []byte {
	var b bytes.Buffer
	b.Write(a.Comment)
	for _, f := range a.Files {
		fmt.Fprintf(&b, "-- %s --\n", f.Name)
		b.Write(f.Data)
		if len(f.Data) > 0 && f.Data[len(f.Data)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// Get returns the contents of the named file.
func (a *Archive) Get(name string) ([]byte, bool) {
	for _, f := range a.Files {
		if f.Name == name {
			return f.Data, true
		}
	}
	return nil, false
}

// Set replaces or appends the named file.
func (a *Archive) Set(name string, data []byte) {
	for i := range a.Files {
		if a.Files[i].Name == name {
			a.Files[i].Data = data
			return
		}
	}
	a.Files = append(a.Files, File{Name: name, Data: data})
}

// Load reads and parses the archive at path, failing t if it cannot.
func Load(t testing.TB, path string) *Archive {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	return Parse(data)
}

// Check compares got with the file name of the archive at path. With -update
// it writes got into the archive instead (creating the file entry if needed).
func Check(t testing.TB, path, name string, got []byte) {
	t.Helper()
	a := Load(t, path)
	if *update {
		if want, ok := a.Get(name); ok && bytes.Equal(normalize(want), normalize(got)) {
			return
		}
		a.Set(name, got)
		if err := os.WriteFile(path, a.Format(), 0o644); err != nil {
			t.Fatalf("golden: %v", err)
		}
		return
	}
	want, ok := a.Get(name)
	if !ok {
		t.Fatalf("golden: %s has no file %q; run the test with -update", path, name)
	}
	if !bytes.Equal(normalize(want), normalize(got)) {
		t.Errorf("golden: %s: %s differs (run with -update to accept):\n%s", path, name, diff(want, got))
	}
}

// CheckFile compares got with the whole file at path, byte for byte (for
// outputs that are archives themselves). With -update it writes got there
// instead.
func CheckFile(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden: %v (run the test with -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("golden: %s differs (run with -update to accept):\n%s", path, diff(want, got))
	}
}

// normalize ends data with exactly one newline, as archives store it.
func normalize(b []byte) []byte {
	b = bytes.TrimRight(b, "\n")
	return append(b[:len(b):len(b)], '\n')
}

// diff returns a short line diff of want and got: the first differing lines
// with some context.
func diff(want, got []byte) string {
	w := strings.Split(string(normalize(want)), "\n")
	g := strings.Split(string(normalize(got)), "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "first difference at line %d\n", i+1)
	for j := max(0, i-2); j < min(len(w), i+5); j++ {
		fmt.Fprintf(&b, "- %s\n", w[j])
	}
	for j := max(0, i-2); j < min(len(g), i+5); j++ {
		fmt.Fprintf(&b, "+ %s\n", g[j])
	}
	return b.String()
}

package golden

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestParseFormat(t *testing.T) {
	in := "comment line\n-- a.txt --\nhello\n-- b --\nworld\nmore\n"
	a := Parse([]byte(in))
	if string(a.Comment) != "comment line\n" || len(a.Files) != 2 {
		t.Fatalf("Parse = %q, %d files", a.Comment, len(a.Files))
	}
	if d, _ := a.Get("b"); string(d) != "world\nmore\n" {
		t.Errorf("Get(b) = %q", d)
	}
	if got := a.Format(); !bytes.Equal(got, []byte(in)) {
		t.Errorf("Format = %q; want %q", got, in)
	}
	a.Set("c", []byte("x"))
	if !bytes.HasSuffix(a.Format(), []byte("-- c --\nx\n")) {
		t.Errorf("Set did not append: %q", a.Format())
	}
}

func TestCheck(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.txtar")
	if err := os.WriteFile(p, []byte("-- out --\nabc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	Check(t, p, "out", []byte("abc"))
	Check(t, p, "out", []byte("abc\n"))
}

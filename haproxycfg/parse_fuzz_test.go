package haproxycfg

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: Parse never panics; what it reads writes back, the text
// written reads back, and writing is a fixpoint from there: the text
// written again is the same, byte for byte. (The first read of a file may
// keep as verbatim what its own order made unsafe to type, such as a rule
// naming an ACL declared after it; once written, the order is the
// writer's.)
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.cfg")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.cfg", data)
		if err != nil {
			return
		}
		out, err := c.AppendText(nil)
		if err != nil {
			t.Fatalf("AppendText of a parsed configuration: %v", err)
		}
		c2, err := Parse("written.cfg", out)
		if err != nil {
			t.Fatalf("Parse(written): %v\n%s", err, out)
		}
		out2, err := c2.AppendText(nil)
		if err != nil {
			t.Fatalf("AppendText of the written configuration read back: %v\n%s", err, out)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("Write(Parse(Write(Parse(x)))) differs from Write(Parse(x)):\n%s\n----\n%s", out, out2)
		}
		if _, err := ParseMap("fuzz.map", data); err != nil {
			return
		}
	})
}

package haproxycfg

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: Parse never panics; what it reads writes back, the text
// written reads back, and writing settles: by the third write the text is
// the same, byte for byte. (A first read may keep as verbatim a line its
// own order or spelling made unsafe to type, such as a rule naming an ACL
// declared after it, or an option order the model does not keep; once
// written, the line may be typed on the next read and move to the
// writer's place for it.)
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
		// Two more rounds: the second and third writes must agree.
		for round := 2; ; round++ {
			out2, err := c2.AppendText(nil)
			if err != nil {
				t.Fatalf("AppendText of written configuration read back (round %d): %v\n%s", round, err, out)
			}
			if bytes.Equal(out, out2) {
				break
			}
			if round == 3 {
				t.Fatalf("writing does not settle by the third write:\n%s\n----\n%s", out, out2)
			}
			if c2, err = Parse("written.cfg", out2); err != nil {
				t.Fatalf("Parse(written, round %d): %v\n%s", round, err, out2)
			}
			out = out2
		}
		if _, err := ParseMap("fuzz.map", data); err != nil {
			return
		}
	})
}

package haproxycfg

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse: Parse never panics; what it reads writes back, and the text
// written reads back into the same model.
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
		clearLines(c)
		clearLines(c2)
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("Parse(Write(Parse(x))) differs from Parse(x):\n%s", out)
		}
		if _, err := ParseMap("fuzz.map", data); err != nil {
			return
		}
	})
}

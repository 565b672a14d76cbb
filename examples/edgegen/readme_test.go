package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/internal/haproxytest"
	"github.com/drawbridge-go/drawbridge/istiocfg"
)

// TestReadmeOwnFile runs the README's third sample as a reader would: it
// takes the route file (the yaml block whose first line is "# my.yaml") and
// the edgegen command line from README.md as they are written, writes the
// file into an empty directory, and runs the command's arguments there.
// The files the README says it writes must be written, without a warning;
// HAProxy must accept the haproxy.cfg and the istio.yaml must read back.
func TestReadmeOwnFile(t *testing.T) {
	md, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const cmd = "go run ./examples/edgegen "
	var file, line string
	for _, b := range readmeBlocks(string(md)) {
		if strings.HasPrefix(b, "# my.yaml") {
			file = b
		}
		for l := range strings.Lines(b) {
			if strings.HasPrefix(l, cmd+"-routes") {
				line = strings.TrimSpace(l)
			}
		}
	}
	if file == "" || line == "" {
		t.Fatalf("README.md: no block starting with %q, or no line %q...", "# my.yaml", cmd+"-routes")
	}
	args := strings.Fields(strings.TrimPrefix(line, cmd))
	i := slices.Index(args, "-routes")
	if i < 0 || i+1 >= len(args) || args[i+1] != "my.yaml" {
		t.Fatalf("README.md: %q does not read my.yaml", line)
	}

	t.Chdir(t.TempDir())
	if err := os.WriteFile("my.yaml", []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("%s: exit %d\n%s", line, code, stderr.String())
	}
	for l := range strings.Lines(stderr.String()) {
		if !strings.HasPrefix(l, "edgegen: wrote ") {
			t.Errorf("%s: stderr: %s", line, l)
		}
	}
	for _, name := range []string{"haproxy.cfg", "istio.yaml", "gateway-values.yaml"} {
		if !strings.Contains(string(md), "`"+name+"`") {
			t.Errorf("README.md does not name %s", name)
		}
		if _, err := os.Stat(filepath.Join("out", name)); err != nil {
			t.Errorf("%s: %v", line, err)
		}
	}

	y, err := os.ReadFile(filepath.Join("out", "istio.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if objs, err := istiocfg.ReadYAML(y); err != nil || len(objs) == 0 {
		t.Errorf("out/istio.yaml: %d objects, %v", len(objs), err)
	}
	cfg, err := os.ReadFile(filepath.Join("out", "haproxy.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	haproxytest.Check(t, string(cfg), nil)
}

// readmeBlocks returns the text of the fenced code blocks of md.
func readmeBlocks(md string) []string {
	var out []string
	var cur *strings.Builder
	for l := range strings.Lines(md) {
		switch {
		case cur == nil && strings.HasPrefix(l, "```"):
			cur = new(strings.Builder)
		case cur != nil && strings.TrimSpace(l) == "```":
			out = append(out, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(l)
		}
	}
	return out
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUsage: -h prints the usage on stdout and exits 0, at the top and
// after each subcommand; no arguments or an unknown option is a usage error.
func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args        []string
		code        int
		out, errOut string // substrings of stdout and stderr
	}{
		{[]string{"-h"}, 0, "Usage: inspect hello|proxy FILE...", ""},
		{[]string{"help"}, 0, "A FILE of - is standard input", ""},
		{[]string{"hello", "-h"}, 0, "Usage: inspect hello FILE...", ""},
		{[]string{"proxy", "-help"}, 0, "PROXY protocol header", ""},
		{nil, 2, "", "Usage: inspect hello|proxy"},
		{[]string{"hello"}, 2, "", "Usage: inspect hello FILE..."},
		{[]string{"hello", "-x"}, 2, "", "unknown option -x"},
		{[]string{"nope"}, 2, "", `unknown subcommand "nope"`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, strings.NewReader(""), &stdout, &stderr)
		if code != tc.code || !strings.Contains(stdout.String(), tc.out) || !strings.Contains(stderr.String(), tc.errOut) {
			t.Errorf("run(%q) = %d, stdout %q, stderr %q; want %d, %q in stdout, %q in stderr",
				tc.args, code, stdout.String(), stderr.String(), tc.code, tc.out, tc.errOut)
		}
	}
}

// TestStdin: a FILE of - is read from standard input, and after -- a name
// starting with a dash is a file name.
func TestStdin(t *testing.T) {
	hello, err := os.ReadFile(filepath.Join(corpus, "go_alpn.bin"))
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"hello", "-"}, bytes.NewReader(hello), &stdout, &stderr); code != 0 ||
		!strings.HasPrefix(stdout.String(), `{"file":"-",`) || !strings.Contains(stdout.String(), `"alpn":["h2","http/1.1"]`) {
		t.Errorf("inspect hello - = %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	header, err := os.ReadFile(filepath.Join(proxyTestdata, "haproxy-v1-tcp4.bin"))
	if err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	if code := run([]string{"proxy", "-"}, bytes.NewReader(header), &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), `"transport":"TCP4"`) {
		t.Errorf("inspect proxy - = %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"hello", "--", "-h"}, nil, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "-h") {
		t.Errorf("inspect hello -- -h = %d, stderr %q; want 1 and the missing file named", code, stderr.String())
	}
}

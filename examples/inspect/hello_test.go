package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const corpus = "../../sni/testdata/clienthello"

// TestHelloCorpus runs `inspect hello` over every corpus file and checks each
// line against index.tsv.
func TestHelloCorpus(t *testing.T) {
	index, err := os.ReadFile(filepath.Join(corpus, "index.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	var files []string
	for i, line := range strings.Split(strings.TrimSpace(string(index)), "\n") {
		if i == 0 {
			continue
		}
		cols := strings.Split(line, "\t")
		f := filepath.Join(corpus, cols[0])
		want[f] = cols[2]
		files = append(files, f)
	}
	var stdout, stderr bytes.Buffer
	if code := runHello(files, nil, &stdout, &stderr); code != 1 {
		t.Errorf("exit status %d; want 1 (the corpus has refused files)", code)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr: %s", stderr.String())
	}
	kinds := map[string]bool{"short": true, "not-tls": true, "sslv2": true, "not-client-hello": true,
		"malformed": true, "record-overflow": true, "duplicate-extension": true, "duplicate-name": true, "invalid-hostname": true}
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		var line struct {
			File       string   `json:"file"`
			ServerName *string  `json:"server_name"`
			Error      string   `json:"error"`
			Detail     string   `json:"detail"`
			ALPN       []string `json:"alpn"`
			JA4        string   `json:"ja4"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("line %d: %v: %s", n, err, sc.Bytes())
		}
		exp := want[line.File]
		switch {
		case strings.HasPrefix(exp, "error:"):
			if line.Error != strings.TrimPrefix(exp, "error:") || !kinds[line.Error] || line.Detail == "" {
				t.Errorf("%s: error %q detail %q; want %s", line.File, line.Error, line.Detail, exp)
			}
		case exp == "(none)":
			if line.Error != "" || line.ServerName != nil || len(line.JA4) != 36 {
				t.Errorf("%s: %s; want no server name", line.File, sc.Bytes())
			}
		default:
			if line.Error != "" || line.ServerName == nil || *line.ServerName != exp || line.ALPN == nil {
				t.Errorf("%s: %s; want server_name %q", line.File, sc.Bytes(), exp)
			}
		}
	}
	if n != len(files) {
		t.Errorf("%d lines for %d files", n, len(files))
	}
}

func TestHelloExitStatus(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := runHello([]string{filepath.Join(corpus, "go_alpn.bin")}, nil, &stdout, &stderr); code != 0 {
		t.Errorf("valid file: exit status %d; want 0", code)
	}
	if !strings.Contains(stdout.String(), `"alpn":["h2","http/1.1"]`) {
		t.Errorf("output %s lacks the ALPN list", stdout.String())
	}
	if code := runHello(nil, nil, &stdout, &stderr); code != 2 {
		t.Errorf("no files: exit status %d; want 2", code)
	}
	stderr.Reset()
	if code := runHello([]string{"does-not-exist.bin"}, nil, &stdout, &stderr); code != 1 || stderr.Len() == 0 {
		t.Errorf("missing file: exit status %d, stderr %q; want 1 and a message", code, stderr.String())
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/internal/golden"
	"github.com/drawbridge-go/drawbridge/internal/istiotest"
)

// TestRun checks sni-split's gateway tier as a root-module test would:
// files on disk, requests on stdin, a JSON report on stdout.
func TestRun(t *testing.T) {
	data, err := os.ReadFile("../../../../examples/edgegen/testdata/sni-split.txtar")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range golden.Parse(data).Files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	stdin := strings.NewReader(`[{"port": 443, "tls": true, "sni": "a.kube.example.com", "host": "a.kube.example.com", "proxy": true},
		{"port": 443, "tls": true, "sni": "a.kube.example.com", "host": "a.kube.example.com"}]`)
	var stdout, stderr bytes.Buffer
	code := run([]string{"-f", filepath.Join(dir, "istio.yaml"), "-gateway-values", filepath.Join(dir, "gateway-values.yaml"), "-requests", "-"},
		stdin, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("run = %d; stderr %s", code, stderr.String())
	}
	var rep istiotest.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	want := []istiotest.Result{
		{Cluster: "outbound|8080||web.apps.svc.cluster.local", TLSTerminated: true, XFFTrustedHops: 0},
		{Error: istiotest.ErrProxyRequired, XFFTrustedHops: -1},
	}
	if len(rep.Results) != len(want) {
		t.Fatalf("%d results; want %d", len(rep.Results), len(want))
	}
	for i, got := range rep.Results {
		if got.Error != want[i].Error || got.Cluster != want[i].Cluster || got.TLSTerminated != want[i].TLSTerminated || got.XFFTrustedHops != want[i].XFFTrustedHops {
			t.Errorf("result %d = %+v; want %+v", i, got, want[i])
		}
	}
	if rep.TopologyFrom != "annotation" || !rep.ProxyProtocol {
		t.Errorf("topology from %q, PROXY protocol %v; want annotation, true", rep.TopologyFrom, rep.ProxyProtocol)
	}
	if len(rep.Messages.XDS)+len(rep.Messages.Analyzers) != 0 {
		t.Errorf("messages %+v; want none", rep.Messages)
	}
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"-f", "x", "extra"}, {"-f", "x", "-proxy-config", "{}", "-gateway-values", "v"}, {"-f", "x", "-labels", "novalue"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, strings.NewReader(""), &stdout, &stderr); code != 2 {
			t.Errorf("run(%q) = %d; want 2", args, code)
		}
	}
}

// Command xdscheck runs Istio's own translation on a gateway tier and
// prints, as JSON, where each request lands, the gateway's listeners and
// clusters, and what Istio's xDS validators and analyzers report.
//
// Usage:
//
//	xdscheck -f istio.yaml [-requests requests.json] [-namespace ns]
//	         [-labels k=v,...] [-mesh mesh.yaml]
//	         [-gateway-values values.yaml | -proxy-config yaml]
//
// requests.json is a JSON array of requests, each
// {"port": 443, "tls": true, "sni": "a.example.com", "host": "a.example.com",
// "path": "/", "proxy": true}; "-" reads it from standard input. The output
// is an istiotest.Report. The exit status is 0 when the report was made
// (whatever it says), 1 when it could not be, 2 on bad usage.
//
// Tests of the root module can run it with
// "go run ./cmd/xdscheck" from internal/istiotest.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	istiolog "istio.io/istio/pkg/log"

	"github.com/drawbridge-go/drawbridge/internal/istiotest"
)

func main() {
	// Istio's fixtures log to stderr at info level; the report is the
	// output.
	for _, s := range istiolog.Scopes() {
		s.SetOutputLevel(istiolog.NoneLevel)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("xdscheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "the Istio objects (`istio.yaml`)")
	reqFile := fs.String("requests", "", "a JSON array of requests (`file`, - for stdin)")
	ns := fs.String("namespace", "", "the gateway workload's namespace (default istio-system)")
	labels := fs.String("labels", "", "the gateway pods' labels, `k=v,...` (default istio=ingressgateway)")
	meshFile := fs.String("mesh", "", "mesh config YAML `file` (default: an IstioOperator's meshConfig in -f, or Istio's defaults)")
	proxyConfig := fs.String("proxy-config", "", "the gateway pods' proxy.istio.io/config annotation `value`")
	valuesFile := fs.String("gateway-values", "", "Helm values `file` of the gateway pods (podAnnotations)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *file == "" || fs.NArg() > 0 || (*proxyConfig != "" && *valuesFile != "") {
		fmt.Fprintln(stderr, "xdscheck: usage: xdscheck -f istio.yaml [-requests requests.json] [-gateway-values values.yaml | -proxy-config yaml]")
		return 2
	}
	opts := istiotest.Options{Namespace: *ns, ProxyConfig: *proxyConfig}
	if *labels != "" {
		opts.Labels = map[string]string{}
		for kv := range strings.SplitSeq(*labels, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				fmt.Fprintf(stderr, "xdscheck: -labels: %q is not k=v\n", kv)
				return 2
			}
			opts.Labels[k] = v
		}
	}
	yaml, err := os.ReadFile(*file)
	if err != nil {
		fmt.Fprintln(stderr, "xdscheck:", err)
		return 1
	}
	if *meshFile != "" {
		b, err := os.ReadFile(*meshFile)
		if err != nil {
			fmt.Fprintln(stderr, "xdscheck:", err)
			return 1
		}
		opts.MeshConfig = string(b)
	}
	if *valuesFile != "" {
		b, err := os.ReadFile(*valuesFile)
		if err == nil {
			opts.ProxyConfig, err = istiotest.ProxyConfigFromValues(b)
		}
		if err != nil {
			fmt.Fprintln(stderr, "xdscheck:", err)
			return 1
		}
	}
	var reqs []istiotest.Request
	if *reqFile != "" {
		var b []byte
		if *reqFile == "-" {
			b, err = io.ReadAll(stdin)
		} else {
			b, err = os.ReadFile(*reqFile)
		}
		if err == nil {
			err = json.Unmarshal(b, &reqs)
		}
		if err != nil {
			fmt.Fprintln(stderr, "xdscheck: -requests:", err)
			return 1
		}
	}
	rep, err := istiotest.Check(yaml, opts, reqs)
	if err != nil {
		fmt.Fprintln(stderr, "xdscheck:", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		fmt.Fprintln(stderr, "xdscheck:", err)
		return 1
	}
	return 0
}

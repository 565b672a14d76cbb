// Command edgegen generates both tiers of an edge from one route file.
//
//	go run ./examples/edgegen [-routes FILE] [-out DIR]
//
// Without -routes it uses the bundled scenario "HAProxy passthrough with PROXY
// protocol in front of the Istio gateway".
package main

import (
	"bytes"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/drawbridge-go/drawbridge/route"
)

//go:embed testdata/passthrough-proxy.yaml
var defaultRoutes []byte

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("edgegen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	routesFile := fs.String("routes", "", "route file (YAML); empty means the bundled passthrough scenario")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	src, name := defaultRoutes, "bundled passthrough-proxy.yaml"
	if *routesFile != "" {
		b, err := os.ReadFile(*routesFile)
		if err != nil {
			fmt.Fprintln(stderr, "edgegen:", err)
			return 1
		}
		src, name = b, *routesFile
	}
	c, err := route.Load(bytes.NewReader(src))
	if err == nil {
		err = c.Validate()
	}
	if err != nil {
		fmt.Fprintf(stderr, "edgegen: %s: %v\n", name, err)
		return 1
	}
	out, err := route.Marshal(c)
	if err != nil {
		fmt.Fprintln(stderr, "edgegen:", err)
		return 1
	}
	fmt.Fprintf(stdout, "# %s: valid\n", name)
	stdout.Write(out)
	return 0
}

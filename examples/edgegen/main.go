// Command edgegen generates both tiers of an edge from one route file: the
// edge tier's haproxy.cfg (with its map files) and the gateway tier's Istio
// objects.
//
//	go run ./examples/edgegen [-routes FILE] [-out DIR] [-map-dir DIR]
//
// Without -routes it uses the bundled scenario "HAProxy passthrough with PROXY
// protocol in front of the Istio gateway" (testdata/passthrough-proxy.yaml).
//
// With -out, it writes DIR/haproxy.cfg, DIR/maps/*.map and DIR/istio.yaml.
// Without it, it writes everything to standard output as one txtar archive:
// each file is introduced by a line "-- name --", so the output reads as a
// listing and splits back into files with any txtar tool.
//
// The haproxy.cfg refers to its map files in -map-dir (default
// /etc/haproxy/maps): copy DIR/maps there, or point -map-dir at where they
// will be. A configuration without an edge tier has no haproxy.cfg; one
// without a gateway tier has no istio.yaml.
//
// Warnings go to standard error and do not change the exit status. Errors
// print every problem, each with its field path (and line, for a file that
// does not parse), and exit with status 1; bad flags exit with status 2.
package main

import (
	"bytes"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/drawbridge-go/drawbridge/haproxycfg"
	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

//go:embed testdata/passthrough-proxy.yaml
var defaultRoutes []byte

// defaultName names the embedded route file in messages.
const defaultName = "bundled passthrough-proxy.yaml"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// file is one generated output, named relative to the output directory.
type file struct {
	name string
	data []byte
}

// run is the command with its streams, returning the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("edgegen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	routesFile := fs.String("routes", "", "route file (YAML); empty means the bundled passthrough scenario")
	outDir := fs.String("out", "", "directory to write haproxy.cfg, maps/ and istio.yaml into; empty means standard output")
	mapDir := fs.String("map-dir", haproxycfg.DefaultMapDir, "absolute directory haproxy.cfg loads its map files from")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "edgegen: unexpected argument %q\n", fs.Arg(0))
		return 2
	}

	src, name := defaultRoutes, defaultName
	if *routesFile != "" {
		b, err := os.ReadFile(*routesFile)
		if err != nil {
			fmt.Fprintln(stderr, "edgegen:", err)
			return 1
		}
		src, name = b, *routesFile
	}

	files, warnings, err := generate(src, *mapDir)
	if err != nil {
		printError(stderr, name, err)
		return 1
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "edgegen: %s: warning: %s\n", name, w)
	}
	if len(files) == 0 {
		fmt.Fprintf(stderr, "edgegen: %s: neither an edge nor a gateway tier to generate\n", name)
		return 1
	}
	if files[0].name != "haproxy.cfg" {
		fmt.Fprintf(stderr, "edgegen: %s: no edge tier, so no haproxy.cfg\n", name)
	}
	if files[len(files)-1].name != "istio.yaml" {
		fmt.Fprintf(stderr, "edgegen: %s: no gateway tier, so no istio.yaml\n", name)
	}

	if *outDir == "" {
		fmt.Fprintf(stdout, "# edgegen: %s\n", name)
		for _, f := range files {
			fmt.Fprintf(stdout, "-- %s --\n", f.name)
			stdout.Write(f.data)
		}
		return 0
	}
	for _, f := range files {
		p := filepath.Join(*outDir, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			fmt.Fprintln(stderr, "edgegen:", err)
			return 1
		}
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			fmt.Fprintln(stderr, "edgegen:", err)
			return 1
		}
		fmt.Fprintf(stderr, "edgegen: wrote %s\n", p)
	}
	return 0
}

// generate loads and validates a route file and compiles both tiers. The
// files come in a fixed order: haproxy.cfg, its map files, istio.yaml.
func generate(src []byte, mapDir string) ([]file, []route.Warning, error) {
	c, err := route.Load(bytes.NewReader(src))
	if err != nil {
		return nil, nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}

	var (
		files    []file
		warnings []route.Warning
	)
	edge, err := haproxycfg.Compiler{MapDir: mapDir}.Compile(c)
	switch {
	case errors.Is(err, haproxycfg.ErrNoEdge):
	case err != nil:
		return nil, nil, fmt.Errorf("edge tier: %w", err)
	default:
		cfg, err := edge.Config.MarshalText()
		if err != nil {
			return nil, nil, fmt.Errorf("haproxy.cfg: %w", err)
		}
		files = append(files, file{"haproxy.cfg", cfg})
		for i := range edge.Maps {
			m, err := edge.Maps[i].AppendText(nil)
			if err != nil {
				return nil, nil, fmt.Errorf("map %s: %w", edge.Maps[i].Name, err)
			}
			files = append(files, file{"maps/" + edge.Maps[i].Name, m})
		}
		warnings = append(warnings, edge.Warnings...)
	}

	gw, err := istiocfg.Compile(c)
	if err != nil {
		return nil, nil, fmt.Errorf("gateway tier: %w", err)
	}
	if len(gw.Objects) > 0 {
		y, err := istiocfg.AppendYAML(nil, gw.Objects...)
		if err != nil {
			return nil, nil, fmt.Errorf("istio.yaml: %w", err)
		}
		files = append(files, file{"istio.yaml", y})
	}
	return files, dedupe(append(warnings, gw.Warnings...)), nil
}

// dedupe drops repeated warnings: both compilers report the route
// configuration's own.
func dedupe(ws []route.Warning) []route.Warning {
	seen := make(map[route.Warning]bool, len(ws))
	out := ws[:0]
	for _, w := range ws {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// printError prints err one problem a line: every field error of a
// validation error gets its own.
func printError(w io.Writer, name string, err error) {
	var ve *route.ValidationError
	if errors.As(err, &ve) {
		for _, fe := range ve.Errors {
			fmt.Fprintf(w, "edgegen: %s: %s\n", name, fe)
		}
		fmt.Fprintf(w, "edgegen: %s: %d problem(s)\n", name, len(ve.Errors))
		return
	}
	fmt.Fprintf(w, "edgegen: %s: %v\n", name, err)
}

// Command edgegen generates both tiers of an edge from one route file: the
// edge tier's haproxy.cfg (with its map files) and the gateway tier's Istio
// objects.
//
//	go run ./examples/edgegen [-routes FILE] [-out DIR] [-map-dir DIR]
//
// Without -routes it uses the bundled scenario "SNI split" (testdata/
// sni-split.yaml): HAProxy passes a wildcard domain through to the Istio
// gateway, terminates and re-encrypts another name, terminates the rest for
// legacy servers, routes ACME challenges to the tier that holds each
// certificate, and sends the PROXY protocol to the gateway.
//
// With -out, it writes DIR/haproxy.cfg, DIR/maps/*.map, DIR/istio.yaml and
// the gateway's installation in two forms: DIR/gateway-values.yaml, Helm
// values of Istio's gateway chart (the Service's type and ports, and, when
// the gateway's pods need a proxy configuration of their own, such as the
// PROXY protocol or trusted X-Forwarded-For hops, the proxy.istio.io/config
// pod annotation), and DIR/gateway-service.yaml, the same Service as a plain
// manifest for a gateway installed another way. Use one of the two. The
// objects that select the gateway pods and the Service are in the
// gateway's namespace, where the secrets of the credentialNames must be
// too. When the route file asks for certificates (gateway.certificates),
// DIR/certificates.yaml holds a cert-manager Certificate per credential,
// in that namespace: apply it where cert-manager's CRDs are installed.
// With -gateway-api, the gateway tier is written as Kubernetes Gateway API
// objects for Istio's Gateway API controller instead (DIR/gateway-api.yaml
// in place of istio.yaml: a Gateway, HTTPRoutes, TLSRoutes, TCPRoutes,
// ReferenceGrants, and the Istio objects the Gateway API has no kind for;
// certificates.yaml as in the Istio form);
// Istio then deploys the gateway and creates its Service, so the two
// installation files are not written, unless the route file sets
// gateway.selector: the Gateway then binds to that existing workload
// through its Service (spec.addresses), and the two files are written as
// in the Istio form for it. The haproxy.cfg is the same in both forms.
// Without -out, it writes everything to standard output as one txtar archive:
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
// does not parse), and exit with status 1; bad flags exit with status 2,
// -h prints the usage and exits with status 0.
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
	"slices"

	"github.com/drawbridge-go/drawbridge/gatewayapi"
	"github.com/drawbridge-go/drawbridge/haproxycfg"
	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

//go:embed testdata/sni-split.yaml
var defaultRoutes []byte

// defaultName names the embedded route file in messages.
const defaultName = "bundled sni-split.yaml"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// file is one generated output, named relative to the output directory.
type file struct {
	name string
	data []byte
}

// usage introduces the flags in -h.
const usage = `Usage: edgegen [-routes FILE] [-out DIR] [-map-dir DIR] [-gateway-api]

Edgegen generates both tiers of an edge from one route file: the edge tier's
haproxy.cfg with its map files, and the gateway tier's Istio objects with
the gateway's Service, as Helm values for Istio's gateway chart and as a
plain manifest (with -gateway-api, as Kubernetes Gateway API objects in
gateway-api.yaml instead).
Without -routes it uses the bundled SNI-split scenario. Without -out it
writes every file to standard output as one txtar archive.

Flags:
`

// run is the command with its streams, returning the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("edgegen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	routesFile := fs.String("routes", "", "route file (YAML); empty means the bundled SNI-split scenario")
	outDir := fs.String("out", "", "directory to write haproxy.cfg, maps/, istio.yaml, certificates.yaml, gateway-values.yaml and gateway-service.yaml into; empty means standard output")
	mapDir := fs.String("map-dir", haproxycfg.DefaultMapDir, "absolute directory haproxy.cfg loads its map files from")
	gatewayAPI := fs.Bool("gateway-api", false, "write the gateway tier as Kubernetes Gateway API objects (gateway-api.yaml) instead of Istio's API (istio.yaml and the gateway's installation)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
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

	files, warnings, err := generate(src, *mapDir, *gatewayAPI)
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
	switch {
	case *gatewayAPI:
		if !slices.ContainsFunc(files, func(f file) bool { return f.name == "gateway-api.yaml" }) {
			fmt.Fprintf(stderr, "edgegen: %s: no gateway objects, so no gateway-api.yaml\n", name)
		}
	case !slices.ContainsFunc(files, func(f file) bool { return f.name == "istio.yaml" || f.name == "gateway-service.yaml" }):
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
// files come in a fixed order: haproxy.cfg, its map files, istio.yaml,
// gateway-service.yaml, gateway-values.yaml (with gatewayAPI,
// gateway-api.yaml in place of the last three). Both tiers are compiled
// from one plan.
func generate(src []byte, mapDir string, gatewayAPI bool) ([]file, []route.Warning, error) {
	c, err := route.Load(bytes.NewReader(src))
	if err != nil {
		return nil, nil, err
	}
	plan, err := c.Plan()
	if err != nil {
		return nil, nil, err
	}

	var files []file
	edge, err := haproxycfg.Compiler{MapDir: mapDir}.CompilePlan(plan)
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
	}

	warnings := plan.Warnings
	if gatewayAPI {
		ga, err := gatewayapi.CompilePlan(plan)
		if err != nil {
			return nil, nil, fmt.Errorf("gateway tier: %w", err)
		}
		if len(ga.Objects)+len(ga.Istio) > 0 {
			y, err := ga.AppendYAML(nil)
			if err != nil {
				return nil, nil, fmt.Errorf("gateway-api.yaml: %w", err)
			}
			files = append(files, file{"gateway-api.yaml", y})
		}
		if len(ga.Certificates) > 0 {
			y, err := istiocfg.AppendCertificates(nil, ga.Certificates...)
			if err != nil {
				return nil, nil, fmt.Errorf("certificates.yaml: %w", err)
			}
			files = append(files, file{"certificates.yaml", y})
		}
		if ex := ga.Existing; ex != nil && ex.Service != nil {
			// The Gateway binds to the existing workload the model
			// selects: its Service and the annotation of its pods, as
			// in the Istio form.
			if files, err = appendService(files, ex.Service, ex.PodAnnotations); err != nil {
				return nil, nil, err
			}
		}
		warnings = ga.Warnings
		if edge != nil {
			warnings = append(warnings, edge.Warnings...)
		}
		return files, dedupe(warnings), nil
	}
	gw, err := istiocfg.CompilePlan(plan)
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
	// The Certificates apart: they need cert-manager's CRDs, which a
	// cluster may not have.
	if len(gw.Certificates) > 0 {
		y, err := istiocfg.AppendCertificates(nil, gw.Certificates...)
		if err != nil {
			return nil, nil, fmt.Errorf("certificates.yaml: %w", err)
		}
		files = append(files, file{"certificates.yaml", y})
	}
	if gw.Service != nil {
		if files, err = appendService(files, gw.Service, gw.GatewayPodAnnotations); err != nil {
			return nil, nil, err
		}
	}
	// The plan's warnings, then what HAProxy's side adds (Lint).
	if edge != nil {
		warnings = append(warnings, edge.Warnings...)
	}
	return files, dedupe(warnings), nil
}

// appendService appends the gateway's Service as gateway-service.yaml and
// as Helm values of the istio/gateway chart, with the annotations of its
// pods, as gateway-values.yaml.
func appendService(files []file, svc *istiocfg.Service, podAnnotations map[string]string) ([]file, error) {
	s, err := svc.AppendYAML(nil)
	if err != nil {
		return nil, fmt.Errorf("gateway-service.yaml: %w", err)
	}
	v, err := istiocfg.AppendChartValues(nil, svc, podAnnotations)
	if err != nil {
		return nil, fmt.Errorf("gateway-values.yaml: %w", err)
	}
	return append(files, file{"gateway-service.yaml", s}, file{"gateway-values.yaml", v}), nil
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

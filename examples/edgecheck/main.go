// Command edgecheck reads the two tiers of an edge as they are written, an
// haproxy.cfg (with its map files) and the Istio objects of the gateway,
// traces every host the files route through both, and reports where the
// tiers disagree.
//
//	edgecheck -haproxy haproxy.cfg [-maps DIR] -istio istio.yaml[,more.yaml]
//		[-gateway-addr 10.0.0.10,...] [-gateway-namespace istio-system]
//		[-gateway-labels istio=ingressgateway] [-gateway-values values.yaml] [-json]
//		[-import route.yaml]
//
// Either file may be left out: without -istio the edge is traced alone,
// without -haproxy clients reach the gateway directly. The -istio files may
// hold cert-manager Certificates (edgegen's certificates.yaml): they are
// read and skipped, as they route nothing.
//
// # What is traced
//
// The requests come from the files themselves:
//
//   - every host the edge routes on, for each port a client-facing bind
//     listens on (binds on loopback addresses and sockets only take
//     connections the edge loops to itself): the exact names and the
//     "-m end" suffixes of the use_backend conditions (req.ssl_sni,
//     ssl_fc_sni, hdr(host) and their _end forms), the keys of the map
//     files they look up (map_str, map_end), and those of the local
//     frontends the port's backends loop into. A suffix is traced as the
//     name "probe" followed by it ("probe.kube.example.com");
//   - the request is TLS with that name as SNI and Host when the frontend
//     routes on req.ssl_sni or has a TLS bind, or when it is a mode tcp
//     frontend on port 443 or 8443 or whose default backend's server is on
//     such a port or on a port where a Gateway server expects TLS; plain
//     HTTP with that Host otherwise;
//   - on a port whose rules route ACME HTTP-01 challenges (a path_beg
//     /.well-known/acme-challenge/ condition), a challenge for every host
//     the edge routes on any port;
//   - on every port, the name "edgecheck.invalid", which no rule names: it
//     shows where the default backend sends the rest. Findings that only
//     say that nobody serves that name are left out. When the default
//     backend reaches the gateway, the hosts of the Gateway servers on
//     that gateway port are traced too;
//   - without an edge, the hosts of the Gateway servers that select the
//     gateway workload, and the hosts of the VirtualServices bound to a
//     Gateway whose server takes every name ("*"), on each server's port.
//
// # Findings
//
// The findings are those of each journey (check.Journey.Findings), and
// the gateway's own problems no journey met (objects whose selectors miss
// the workload, VirtualServices bound to nothing). On top of them:
//
//   - an ACME challenge for a host whose TLS the edge ends must stay at
//     the edge: sent to the gateway, it is an error;
//   - one for a host whose TLS the gateway ends belongs at the gateway:
//     when no Gateway server takes it there, it is a warning, since an
//     ACME solver may add its own route when it issues the certificate
//     (cert-manager's HTTP-01 solver);
//   - without the Istio files, what the edge sends to the gateway
//     addresses is held to what every Istio gateway needs: TLS toward it
//     (traffic and health checks) carries SNI, since Envoy picks the
//     server and its certificate by it.
//
// # The gateway addresses
//
// The edge's servers whose address is one of -gateway-addr are the
// gateway. Without -gateway-addr edgecheck takes the addresses of the
// edge's servers (not loopback addresses or sockets) whose port is one a
// Gateway server listens on, or 80 or 443 (the ports of Istio's default
// ingress gateway Service) when the Istio files have no Gateway server;
// the output names the addresses it took and why.
//
// # The gateway workload
//
// Gateways, EnvoyFilters and Telemetry select the gateway's pods by the
// labels of -gateway-labels in -gateway-namespace. -gateway-values reads
// the gateway's mesh settings (istiocfg.ReadMeshSettings): Helm values of
// Istio's gateway chart (podAnnotations, with the proxy.istio.io/config
// annotation and its gatewayTopology, and labels, which are added to the
// pods' labels), Helm values of the istiod chart (meshConfig), an
// IstioOperator (spec.meshConfig and its ingress gateway's label and
// podAnnotations), or a proxy.istio.io/config value on its own.
//
// # Output
//
// A table with one journey a line, then the findings, errors first:
//
//	HOST         the name traced (SNI and Host)
//	PORT         the edge port, and "tls" or "http" for what the client sends
//	EDGE         frontend -> backend (frontend => local frontend -> backend when the
//	             edge loops to itself); "redirect" or the status when the edge answers
//	EDGE TLS     terminate, pass, re-encrypt (SNI name), or "-" for plain traffic
//	PROXY        the PROXY header the edge sends (v1, v2, v2-ssl, v2-ssl-cn)
//	XFF          "xff" when the edge appends X-Forwarded-For
//	GATEWAY      gateway port -> Gateway server -> VirtualService route -> destination
//	TLS ENDS     where each TLS leg ends: edge, gateway, backend
//
// Each finding names the places involved: the haproxy.cfg line, the
// Gateway server, and the file and line of each Istio object it refers to,
// then what happens and the fix.
//
// With -json the same is one JSON object with these stable fields:
//
//	edge, istio, values        the files read
//	gatewayAddresses           the addresses taken as the gateway
//	gatewayAddressesGuessed    true when -gateway-addr was not given
//	gatewayAddressRule         how they were guessed
//	journeys[]                 host, pattern, source (edge, map, acme, probe,
//	                           gateway), port, client (tls, http), path,
//	                           frontend, frontendLine, local, backend,
//	                           backendLine, edgeTLS, sni, proxy, xff, status,
//	                           redirect, servers, gatewayAddress (the server
//	                           that is the gateway's), gatewayPort, gateway,
//	                           server, virtualService, route, destinations,
//	                           tlsEnds
//	findings[]                 severity (error, warning), where[], detail, fix
//	errors, warnings           the number of findings of each severity
//
// # Import
//
// -import FILE writes the route model of the files (check.Importer) to
// FILE, a route file edgegen generates both tiers from, so that a team can
// move from hand-written tiers to generated ones. What the route model
// cannot express is written to standard error, one note a line with the
// haproxy.cfg line or Istio object it comes from, and so is what still
// keeps the route file from planning (route.Config.Plan).
//
// # Exit status
//
// 0 when no finding is an error, 1 when one is or when a file cannot be
// read (the message names the file and line), 2 for bad flags.
package main

import (
	"bytes"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/drawbridge-go/drawbridge/check"
	"github.com/drawbridge-go/drawbridge/haproxycfg"
	"github.com/drawbridge-go/drawbridge/istiocfg"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command's flags.
type options struct {
	haproxy, maps, values string
	importFile            string
	istio, addrs          []string
	namespace             string
	labels                map[string]string
	json                  bool
}

// run is the command with its streams, returning the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("edgecheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.haproxy, "haproxy", "", "the edge's haproxy.cfg")
	fs.StringVar(&o.maps, "maps", "", "directory of the map files haproxy.cfg names (by base name); empty: the paths as written, relative ones from haproxy.cfg's directory")
	istio := fs.String("istio", "", "Istio YAML files, comma-separated")
	addrs := fs.String("gateway-addr", "", "the gateway's addresses as the edge's server lines write them, comma-separated; empty: guessed")
	fs.StringVar(&o.namespace, "gateway-namespace", "istio-system", "namespace of the gateway pods")
	labels := fs.String("gateway-labels", "istio=ingressgateway", "labels of the gateway pods, k=v,k=v")
	fs.StringVar(&o.values, "gateway-values", "", "the gateway's mesh settings: Helm values of the istio/gateway chart (podAnnotations, labels) or of istiod (meshConfig), an IstioOperator, or a proxy.istio.io/config value")
	fs.BoolVar(&o.json, "json", false, "write JSON instead of a table")
	fs.StringVar(&o.importFile, "import", "", "write the route model of the files (check.Importer) to this route file; the import notes go to standard error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "edgecheck: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	o.istio = splitList(*istio)
	o.addrs = splitList(*addrs)
	var err error
	if o.labels, err = parseLabels(*labels); err != nil {
		fmt.Fprintln(stderr, "edgecheck: -gateway-labels:", err)
		return 2
	}
	if o.haproxy == "" && len(o.istio) == 0 {
		fmt.Fprintln(stderr, "edgecheck: nothing to check: give -haproxy, -istio or both")
		return 2
	}

	in, err := load(o)
	if err != nil {
		fmt.Fprintln(stderr, "edgecheck:", err)
		return 1
	}
	rep := check1(in, o)
	if o.importFile != "" {
		if _, err := writeImport(o.importFile, in, rep.GatewayAddresses, stderr); err != nil {
			fmt.Fprintln(stderr, "edgecheck: -import:", err)
			return 1
		}
	}
	if o.json {
		err = writeJSON(stdout, rep)
	} else {
		err = writeText(stdout, rep)
	}
	if err != nil {
		fmt.Fprintln(stderr, "edgecheck:", err)
		return 1
	}
	if rep.Errors > 0 {
		return 1
	}
	return 0
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range splitList(s) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not key=value", kv)
		}
		out[k] = v
	}
	return out, nil
}

// input is what the files say.
type input struct {
	edgeFile string
	cfg      *haproxycfg.Config
	maps     []haproxycfg.MapFile
	edge     *check.Edge
	objs     []istiocfg.Object
	where    map[string]string // "Kind ns/name" -> "file:line"
	mesh     []string          // where the mesh's proxy settings are written
	workload check.Workload
	gw       *check.Gateway
}

// load reads and parses every file.
func load(o options) (*input, error) {
	in := &input{where: map[string]string{}}
	if o.haproxy != "" {
		data, err := os.ReadFile(o.haproxy)
		if err != nil {
			return nil, err
		}
		cfg, err := haproxycfg.Parse(o.haproxy, data)
		if err != nil {
			return nil, err
		}
		maps, err := loadMaps(cfg, o.haproxy, o.maps)
		if err != nil {
			return nil, err
		}
		e, err := check.NewEdge(cfg, maps)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.haproxy, err)
		}
		e.File = o.haproxy
		in.edgeFile, in.cfg, in.maps, in.edge = o.haproxy, cfg, maps, e
	}
	for _, f := range o.istio {
		if err := in.readIstio(f); err != nil {
			return nil, err
		}
	}
	in.workload = check.Workload{Namespace: o.namespace, Labels: o.labels}
	if o.values != "" {
		if err := in.readValues(o.values); err != nil {
			return nil, err
		}
	}
	if len(o.istio) > 0 {
		g, err := check.NewGateway(in.objs, in.workload)
		if err != nil {
			return nil, err
		}
		in.gw = g
	}
	return in, nil
}

// loadMaps reads the map files cfg's converters name: from dir by base
// name, or at the path as written (relative to the configuration's
// directory). A file that does not exist is left out: the trace then says
// that lookups in it find nothing.
func loadMaps(cfg *haproxycfg.Config, cfgFile, dir string) ([]haproxycfg.MapFile, error) {
	var out []haproxycfg.MapFile
	seen := map[string]bool{}
	for _, ref := range mapRefs(cfg) {
		base := filepath.Base(ref)
		if seen[base] {
			continue
		}
		seen[base] = true
		p := ref
		switch {
		case dir != "":
			p = filepath.Join(dir, base)
		case !filepath.IsAbs(p):
			p = filepath.Join(filepath.Dir(cfgFile), p)
		}
		data, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		m, err := haproxycfg.ParseMap(p, data)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// readIstio reads one YAML file of Istio objects, document by document,
// so that each object and each error has its line.
func (in *input) readIstio(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	for _, d := range splitYAML(data) {
		objs, err := istiocfg.ReadYAML(d.data)
		if err != nil {
			// The line says which document; its index in this one is 0.
			if ye := (*istiocfg.Error)(nil); errors.As(err, &ye) {
				ye.Doc = -1
			}
			return fmt.Errorf("%s:%d: %w", file, d.line, err)
		}
		for _, o := range objs {
			ns := cmp.Or(o.Metadata.Namespace, "default")
			loc := file + ":" + strconv.Itoa(d.line)
			k := o.Kind + " " + ns + "/" + o.Metadata.Name
			if _, dup := in.where[k]; !dup {
				in.where[k] = loc
			}
			if o.Kind == "IstioOperator" {
				name := "IstioOperator " + ns + "/" + o.Metadata.Name
				if o.Metadata.Name == "" {
					name = "IstioOperator"
				}
				in.mesh = append(in.mesh, name+" ("+loc+")")
			}
			in.objs = append(in.objs, o)
		}
	}
	return nil
}

// yamlDoc is one document of a YAML stream and the line it starts on.
type yamlDoc struct {
	data []byte
	line int
}

// splitYAML splits a stream at "---" lines, as istiocfg.ReadYAML does.
func splitYAML(data []byte) []yamlDoc {
	var docs []yamlDoc
	start, startLine, line := 0, 1, 1
	for i := 0; i < len(data); line++ {
		end := bytes.IndexByte(data[i:], '\n')
		next := len(data)
		l := data[i:]
		if end >= 0 {
			l, next = data[i:i+end], i+end+1
		}
		t := bytes.TrimRight(l, " \t\r")
		if bytes.Equal(t, []byte("---")) || bytes.HasPrefix(t, []byte("--- #")) {
			docs = append(docs, yamlDoc{data[start:i], startLine})
			start, startLine = next, line+1
		}
		i = next
	}
	docs = append(docs, yamlDoc{data[start:], startLine})
	// A document's line is its first line that is not blank or a comment.
	for i := range docs {
		for _, l := range bytes.Split(docs[i].data, []byte("\n")) {
			if t := bytes.TrimSpace(l); len(t) > 0 && t[0] != '#' {
				break
			}
			docs[i].line++
		}
	}
	return docs
}

// readValues reads the gateway's mesh settings with
// istiocfg.ReadMeshSettings: Helm values of the istio/gateway chart
// (podAnnotations, labels), of the istiod chart (meshConfig), an
// IstioOperator, or a proxy.istio.io/config annotation value. Labels are
// added to the pods' labels, the annotation becomes theirs, and a mesh
// configuration is traced as if an IstioOperator in the Istio files said it.
func (in *input) readValues(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	s, err := istiocfg.ReadMeshSettings(data)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	labels := map[string]string{}
	for k, val := range in.workload.Labels {
		labels[k] = val
	}
	for k, val := range s.Labels {
		labels[k] = val
	}
	in.workload.Labels = labels
	in.workload.Annotations = s.PodAnnotations
	switch {
	case s.Source == istiocfg.MeshFromAnnotation:
		in.workload.Annotations = map[string]string{istiocfg.ProxyConfigAnnotation: string(data)}
		in.mesh = append(in.mesh, file+" ("+istiocfg.ProxyConfigAnnotation+")")
	case s.Proxy != nil:
		in.mesh = append(in.mesh, file+" podAnnotations")
	}
	if s.Mesh != nil {
		in.objs = append(in.objs, istiocfg.NewIstioOperator(filepath.Base(file), in.workload.Namespace, s.Mesh))
		in.mesh = append(in.mesh, file+" meshConfig")
	}
	return nil
}

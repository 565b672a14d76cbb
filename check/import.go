package check

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/drawbridge-go/drawbridge/haproxycfg"
	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// ImportNote is a construct of the files [Import] could not express in
// the route model, or expressed differently than written: where it is and
// what became of it.
type ImportNote struct {
	// Where is "file:line" of the haproxy.cfg line, or "Kind
	// namespace/name" of the Istio object (with the field when it
	// matters), the note is about.
	Where string
	// Detail says what the construct does and what the route file does
	// instead.
	Detail string
}

// String returns "where: detail".
func (n ImportNote) String() string { return n.Where + ": " + n.Detail }

// Importer reads the two tiers of an edge as they are written into the
// route model ([route.Config]), so that a team can move to generated
// tiers. Configure it by struct literal; the zero value imports nothing.
//
// The importer traces what it imports: each listener's host patterns
// (the use_backend conditions and map entries of the frontend bound to
// the port, and of the local TLS frontends it loops to; the hosts and
// paths of the Gateway servers and VirtualServices without an edge) are
// sent through both tiers as [Trace] does, and each journey becomes a
// route: the edge's TLS handling gives where TLS ends, the Gateway server
// that takes the request whether the gateway terminates or passes it
// through, and the VirtualService route its backends. What the route
// model cannot say is an [ImportNote], never dropped in silence.
type Importer struct {
	// Edge is the edge's haproxy.cfg as [haproxycfg.Parse] reads it, and
	// Maps the map files it names. Nil means there is no edge: the
	// listeners are the Gateway servers.
	Edge *haproxycfg.Config
	Maps []haproxycfg.MapFile
	// EdgeFile names the configuration in notes; empty means
	// [DefaultEdgeFile].
	EdgeFile string
	// Objects are the gateway's Istio objects as [istiocfg.ReadYAML]
	// reads them. Nil with an Edge means the gateway side is unknown:
	// traffic to the gateway is imported as handed to it unchanged where
	// the model allows (backend gateway: true).
	Objects []istiocfg.Object
	// Workload is the gateway's pods, as for [NewGateway].
	Workload Workload
	// GatewayAddrs are the addresses of the edge's servers that are the
	// gateway, as for [Trace]; they become gateway.addresses.
	GatewayAddrs []string
	// Name is the configuration's name; empty means the name of the
	// Gateway most routes go through, else "edge".
	Name string
}

// Import is [Importer.Import] with the importer's fields as arguments:
// the edge's configuration and map files (nil for none), the gateway's
// objects, its workload and the addresses the edge reaches it on.
func Import(edge *haproxycfg.Config, maps []haproxycfg.MapFile, gateway []istiocfg.Object, w Workload, gatewayAddrs []string) (*route.Config, []ImportNote, error) {
	im := Importer{Edge: edge, Maps: maps, Objects: gateway, Workload: w, GatewayAddrs: gatewayAddrs}
	return im.Import()
}

// Import returns the route model of the files, and notes for what it
// leaves out or changes. The error is for files that cannot be read for
// tracing ([NewEdge], [NewGateway]); a configuration the model can only
// partly express is not an error. When the files are consistent, the
// result passes [route.Config.Plan] and its compiled tiers route every
// imported host as the files do; [route.Config.Plan] reports what still
// keeps it from being planned.
func (im *Importer) Import() (*route.Config, []ImportNote, error) {
	x := &importer{im: im, cfg: &route.Config{}, names: map[string]bool{}, backendKeys: map[string]string{}}
	x.file = cmp.Or(im.EdgeFile, DefaultEdgeFile)
	if im.Edge != nil {
		e, err := NewEdge(im.Edge, im.Maps)
		if err != nil {
			return nil, nil, err
		}
		e.File = x.file
		x.edge = e
	}
	if len(im.Objects) > 0 || im.Workload.Annotations[istiocfg.ProxyConfigAnnotation] != "" {
		g, err := NewGateway(im.Objects, im.Workload)
		if err != nil {
			return nil, nil, err
		}
		x.gw = g
	}
	x.indexObjects()
	if x.edge != nil {
		x.importEdge()
	} else {
		x.importGatewayListeners()
	}
	x.importGatewayTier()
	x.noteObjects()
	x.finish()
	slices.SortStableFunc(x.notes, func(a, b ImportNote) int { return compareWhere(a.Where, b.Where) })
	x.notes = slices.Compact(x.notes)
	return x.cfg, x.notes, nil
}

// compareWhere orders notes: the edge file by line, then objects by name.
func compareWhere(a, b string) int {
	af, al, aok := splitFileLine(a)
	bf, bl, bok := splitFileLine(b)
	switch {
	case aok && bok:
		return cmp.Or(cmp.Compare(af, bf), cmp.Compare(al, bl))
	case aok:
		return -1
	case bok:
		return 1
	}
	return cmp.Compare(a, b)
}

func splitFileLine(s string) (string, int, bool) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 || strings.Contains(s, " ") {
		return "", 0, false
	}
	n, err := strconv.Atoi(s[i+1:])
	return s[:i], n, err == nil
}

// importer is the state of one Import.
type importer struct {
	im    *Importer
	file  string
	edge  *Edge
	gw    *Gateway
	cfg   *route.Config
	notes []ImportNote
	// names are the route, listener and backend names taken (one space
	// each, prefixed "r/", "l/", "b/").
	names map[string]bool
	// backendKeys maps what a backend is ("svc host:port", "be name",
	// "gateway") to its name.
	backendKeys map[string]string
	// gatewayUse counts the routes per Gateway ("ns/name").
	gatewayUse map[string]int
	// used marks the objects a route went through ("Kind ns/name").
	used map[string]bool
	objs objIndex
	// proxyV2 reports whether the edge sends PROXY v2 to the gateway.
	proxyToGateway string
	proxyLine      int
}

func (x *importer) note(where, format string, args ...any) {
	x.notes = append(x.notes, ImportNote{Where: where, Detail: fmt.Sprintf(format, args...)})
}

// at is the edge file's line.
func (x *importer) at(line int) string { return x.file + ":" + strconv.Itoa(line) }

// name returns a unique DNS-1123 label made from s in the space kind.
func (x *importer) name(kind, s string) string {
	base := dnsLabel(s)
	n := base
	for i := 2; x.names[kind+"/"+n]; i++ {
		suffix := "-" + strconv.Itoa(i)
		n = strings.TrimRight(base[:min(len(base), 63-len(suffix))], "-") + suffix
	}
	x.names[kind+"/"+n] = true
	return n
}

// dnsLabel turns s into a DNS-1123 label: lowercase letters, digits and
// '-', at most 63, starting and ending with a letter or digit.
func dnsLabel(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(c)
		default:
			dash = true
		}
		if b.Len() >= 63 {
			break
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 63 {
		out = strings.TrimRight(out[:63], "-")
	}
	if out == "" {
		out = "x"
	}
	return out
}

// finish names the configuration and drops what routes do not use.
func (x *importer) finish() {
	c := x.cfg
	c.Name = x.im.Name
	if c.Name == "" && c.Gateway != nil {
		best, n := "", 0
		for k, v := range x.gatewayUse {
			_, name, _ := strings.Cut(k, "/")
			if v > n || v == n && name < best {
				best, n = name, v
			}
		}
		c.Name = dnsLabel(best)
		if best == "" {
			c.Name = ""
		}
	}
	if c.Gateway != nil && c.Gateway.Name == c.Name {
		c.Gateway.Name = ""
	}
	if c.Gateway != nil && c.Gateway.Namespace == "istio-system" {
		c.Gateway.Namespace = ""
	}
	if c.Gateway != nil && len(c.Gateway.Selector) > 0 && equalLabels(c.Gateway.Selector, route.DefaultGatewaySelector()) {
		c.Gateway.Selector = nil
	}
	// numTrustedProxies: explicit only where the plan would not derive
	// the same number.
	if g := c.Gateway; g != nil && g.NumTrustedProxies != nil {
		want := *g.NumTrustedProxies
		g.NumTrustedProxies = nil
		if p, err := c.Plan(); err != nil || p.Gateway == nil || p.Gateway.NumTrustedProxies != want {
			g.NumTrustedProxies = &want
		}
	}
}

// equalLabels reports whether two label sets are equal.
func equalLabels(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

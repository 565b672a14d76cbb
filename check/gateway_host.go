package check

import (
	"slices"
	"strings"
)

// Istio's host name rules (istio.io/istio pkg/config/host): a name is
// wildcarded when it starts with "*"; "*.example.com" covers
// "a.example.com" and "a.b.example.com" but not "example.com"; "*" covers
// every name.

func wildcarded(h string) bool { return strings.HasPrefix(h, "*") }

// hostMatches reports whether the host names a and b overlap (host.Name.Matches).
func hostMatches(a, b string) bool {
	aw, bw := wildcarded(a), wildcarded(b)
	switch {
	case aw && bw:
		if len(a) < len(b) {
			return strings.HasSuffix(b[1:], a[1:])
		}
		return strings.HasSuffix(a[1:], b[1:])
	case aw:
		return strings.HasSuffix(b, a[1:])
	case bw:
		return strings.HasSuffix(a, b[1:])
	}
	return a == b
}

// hostSubsetOf reports whether a is covered by b (host.Name.SubsetOf).
func hostSubsetOf(a, b string) bool {
	aw, bw := wildcarded(a), wildcarded(b)
	switch {
	case aw && bw:
		return len(a) >= len(b) && strings.HasSuffix(a[1:], b[1:])
	case aw:
		return false
	case bw:
		return strings.HasSuffix(a, b[1:])
	}
	return a == b
}

// hostIntersection returns the names covered by both a and b, the more
// specific of each overlapping pair (host.Names.Intersection).
func hostIntersection(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			switch {
			case hostSubsetOf(x, y):
				if !slices.Contains(out, x) {
					out = append(out, x)
				}
			case hostSubsetOf(y, x):
				if !slices.Contains(out, y) {
					out = append(out, y)
				}
			}
		}
	}
	return out
}

// hostsForNamespace returns the server hosts a VirtualService of namespace
// ns may bind to, without their namespace part (host.NamesForNamespace):
// "ns/h" only for that namespace, "*/h" and "h" for every namespace.
func hostsForNamespace(hosts []string, ns string) []string {
	out := make([]string, 0, len(hosts))
	for _, h := range hosts {
		if n, name, ok := strings.Cut(h, "/"); ok {
			if n != ns && n != "*" {
				continue
			}
			h = name
		}
		out = append(out, h)
	}
	return out
}

// sanitizeHosts rewrites a Gateway server's hosts as Istio's mergeGateways
// does (sanitizeServerHostNamespace): "./h" becomes "gwns/h", "*/h" becomes
// "h", and "*/*" makes the hosts just "*".
func sanitizeHosts(hosts []string, gwns string) []string {
	out := slices.Clone(hosts)
	for i, h := range out {
		n, name, ok := strings.Cut(h, "/")
		if !ok {
			continue
		}
		switch n {
		case ".":
			out[i] = gwns + "/" + name
		case "*":
			if name == "*" {
				return []string{"*"}
			}
			out[i] = name
		}
	}
	return out
}

// stripNamespace returns h without a "ns/" part.
func stripNamespace(h string) string {
	if _, name, ok := strings.Cut(h, "/"); ok {
		return name
	}
	return h
}

// resolveShortName resolves a VirtualService host or destination the way
// Istio does (ResolveShortnameToFQDN): a name without a dot is a Kubernetes
// service of the object's namespace.
func resolveShortName(h, ns string) string {
	if h == "" || h == "*" || strings.Contains(h, ".") || strings.Contains(h, ":") {
		return h
	}
	return h + "." + ns + ".svc.cluster.local"
}

// nameMatchesHost reports whether a concrete name (SNI or Host) is covered
// by the host pattern h ("*", "*.example.com" or exact).
func nameMatchesHost(name, h string) bool {
	h = strings.ToLower(stripNamespace(h))
	switch {
	case h == "*":
		return true
	case wildcarded(h):
		return len(name) > len(h)-1 && strings.HasSuffix(name, h[1:])
	}
	return name == h
}

// specificity orders host patterns for a concrete name: exact names first,
// then wildcards by length (the longer the more specific), "*" last.
func specificity(h string) int {
	h = stripNamespace(h)
	if !wildcarded(h) {
		return 1 << 20
	}
	return len(h)
}

// envoyDomainMatch returns the index of the virtual host domain Envoy picks
// for host (exact, then the longest suffix wildcard, then the longest
// prefix wildcard, then "*"), or -1.
func envoyDomainMatch(domains []string, host string) int {
	best, bestRank, bestLen := -1, 0, -1
	for i, d := range domains {
		d = strings.ToLower(d)
		rank, n := 0, 0
		switch {
		case d == host:
			rank, n = 4, len(d)
		case d == "*":
			rank = 1
		case strings.HasPrefix(d, "*"):
			if len(host) > len(d)-1 && strings.HasSuffix(host, d[1:]) {
				rank, n = 3, len(d)
			}
		case strings.HasSuffix(d, "*"):
			if len(host) > len(d)-1 && strings.HasPrefix(host, d[:len(d)-1]) {
				rank, n = 2, len(d)
			}
		}
		if rank == 0 {
			continue
		}
		if rank > bestRank || rank == bestRank && n > bestLen {
			best, bestRank, bestLen = i, rank, n
		}
	}
	return best
}

// envoyServerNameMatch reports how specifically the filter chain server
// names match sni: 0 for no match, higher for more specific. Envoy tries
// the exact name, then "*." followed by each shorter parent domain.
func envoyServerNameMatch(names []string, sni string) int {
	if slices.Contains(names, sni) {
		return len(sni) + 2
	}
	best := 0
	for pos := dotFrom(sni, 1); pos >= 0 && pos < len(sni)-1; pos = dotFrom(sni, pos+1) {
		if rest := sni[pos+1:]; slices.Contains(names, "*."+rest) {
			best = max(best, len(rest)+1)
			break
		}
	}
	return best
}

// hostOnly returns an HTTP Host header without its port, lowercased.
func hostOnly(h string) string {
	h = strings.ToLower(h)
	if strings.HasPrefix(h, "[") {
		if i := strings.Index(h, "]"); i >= 0 {
			return h[:i+1]
		}
		return h
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.Count(h, ":") == 1 {
		return h[:i]
	}
	return h
}

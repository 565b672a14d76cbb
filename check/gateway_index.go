package check

import (
	"cmp"
	"slices"
	"strings"
)

// The indexes of this file answer the host questions of a request or of a
// server-to-VirtualService binding without scanning every host of the
// gateway: a gateway with 20,000 hosts on one port would otherwise compare
// each request with each host. Each index gives exactly the answer of the
// scan it replaces (nameMatchesHost, envoyServerNameMatch,
// envoyDomainMatch, hostMatches and hostIntersection in gateway_host.go),
// which gateway_index_test.go checks on random hosts.

// nameIndex finds the host patterns that cover a concrete name as
// [nameMatchesHost] does: exact names by lookup, "*"-prefixed wildcards by
// looking up each proper suffix of the name, "*" always.
type nameIndex struct {
	exact  map[string][]int // lowercased name -> ids
	suffix map[string][]int // "*x" by lowercased x -> ids
	all    []int            // "*"
	maxLen int              // the longest suffix key
}

// add indexes the host pattern h (with or without a "ns/" part) as id.
func (ix *nameIndex) add(h string, id int) {
	h = strings.ToLower(stripNamespace(h))
	switch {
	case h == "*":
		ix.all = append(ix.all, id)
	case wildcarded(h):
		if ix.suffix == nil {
			ix.suffix = map[string][]int{}
		}
		ix.suffix[h[1:]] = append(ix.suffix[h[1:]], id)
		ix.maxLen = max(ix.maxLen, len(h)-1)
	default:
		if ix.exact == nil {
			ix.exact = map[string][]int{}
		}
		ix.exact[h] = append(ix.exact[h], id)
	}
}

// match appends to dst the ids of the patterns that cover name, in no
// particular order and possibly more than once.
func (ix *nameIndex) match(dst []int, name string) []int {
	dst = append(dst, ix.all...)
	dst = append(dst, ix.exact[name]...)
	if len(ix.suffix) == 0 {
		return dst
	}
	// A wildcard "*x" covers name when x is a suffix shorter than name.
	for i := max(1, len(name)-ix.maxLen); i < len(name); i++ {
		dst = append(dst, ix.suffix[name[i:]]...)
	}
	return dst
}

// matchSorted returns the ids of the patterns that cover name, ascending,
// each once.
func (ix *nameIndex) matchSorted(dst []int, name string) []int {
	dst = ix.match(dst[:0], name)
	slices.Sort(dst)
	return slices.Compact(dst)
}

// serverNameIndex picks a listener's filter chain by server name as Envoy
// does ([envoyServerNameMatch] over the chains in order): the first chain
// with the exact name, else the first with the longest "*." parent domain,
// else the first chain without server names.
type serverNameIndex struct {
	exact    map[string]int // server name -> first chain
	wild     map[string]int // "*.x" by x -> first chain
	catchAll int            // first chain matching every connection; -1: none
}

func newServerNameIndex(chains []*chain) serverNameIndex {
	ix := serverNameIndex{exact: map[string]int{}, wild: map[string]int{}, catchAll: -1}
	for i, c := range chains {
		if c.sni == nil {
			if ix.catchAll < 0 {
				ix.catchAll = i
			}
			continue
		}
		for _, n := range c.sni {
			if _, ok := ix.exact[n]; !ok {
				ix.exact[n] = i
			}
			if rest, ok := strings.CutPrefix(n, "*."); ok {
				if _, ok := ix.wild[rest]; !ok {
					ix.wild[rest] = i
				}
			}
		}
	}
	return ix
}

// pick returns the index of the chain that takes a connection, or -1;
// sniSeen reports whether a tls_inspector read the name sni.
func (ix *serverNameIndex) pick(sni string, sniSeen bool) int {
	if !sniSeen {
		return ix.catchAll
	}
	if i, ok := ix.exact[sni]; ok {
		return i
	}
	for pos := dotFrom(sni, 1); pos >= 0 && pos < len(sni)-1; pos = dotFrom(sni, pos+1) {
		if c, ok := ix.wild[sni[pos+1:]]; ok {
			return c
		}
	}
	return ix.catchAll
}

// domainIndex picks a virtual host by the Host header as
// [envoyDomainMatch] does: the exact domain, then the longest "*" suffix
// wildcard, then the longest "*" prefix wildcard, then "*"; the first of
// equal domains.
type domainIndex struct {
	exact  map[string]int
	suffix map[string]int // "*x" by x
	prefix map[string]int // "x*" by x
	star   int            // "*"; -1: none
	maxLen int
}

func newDomainIndex(domains []string) domainIndex {
	ix := domainIndex{exact: map[string]int{}, suffix: map[string]int{}, prefix: map[string]int{}, star: -1}
	first := func(m map[string]int, k string, i int) {
		if _, ok := m[k]; !ok {
			m[k] = i
		}
	}
	for i, d := range domains {
		d = strings.ToLower(d)
		first(ix.exact, d, i)
		switch {
		case d == "*":
			if ix.star < 0 {
				ix.star = i
			}
		case strings.HasPrefix(d, "*"):
			first(ix.suffix, d[1:], i)
			ix.maxLen = max(ix.maxLen, len(d)-1)
		case strings.HasSuffix(d, "*"):
			first(ix.prefix, d[:len(d)-1], i)
			ix.maxLen = max(ix.maxLen, len(d)-1)
		}
	}
	return ix
}

// pick returns the index of the domain Envoy picks for host, or -1.
func (ix *domainIndex) pick(host string) int {
	if i, ok := ix.exact[host]; ok {
		return i
	}
	// Wildcards cover names longer than their fixed part; the longest
	// fixed part wins.
	for i := max(1, len(host)-ix.maxLen); i < len(host); i++ {
		if d, ok := ix.suffix[host[i:]]; ok {
			return d
		}
	}
	for n := min(len(host)-1, ix.maxLen); n >= 0; n-- {
		if d, ok := ix.prefix[host[:n]]; ok {
			return d
		}
	}
	return ix.star
}

// hostIndex indexes the hosts of a Gateway server for the VirtualService
// hosts that overlap them (Istio's host.Name Matches and SubsetOf, case
// sensitive): the hosts without a namespace part, and those of each
// "ns/" part, apart.
type hostIndex struct {
	plain hostGroup
	byNS  map[string]*hostGroup
}

// hostGroup is the hosts of one namespace part.
type hostGroup struct {
	exact    map[string][]int // host -> positions in the server's hosts
	wild     map[string][]int // "*x" by x -> positions
	exactRev []hostRev        // exact hosts, sorted by their reversed bytes
	wildRev  []hostRev        // wildcards' x, sorted by their reversed bytes
}

// hostRev is a host (or a wildcard's fixed part) with its bytes reversed,
// so that the hosts ending with a suffix are a range of a sorted slice.
type hostRev struct {
	rev  string
	host string // the host as written, without namespace part
	pos  int
}

func reverseString(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	return string(b)
}

func newHostIndex(hosts []string) *hostIndex {
	ix := &hostIndex{}
	for pos, h := range hosts {
		g := &ix.plain
		if n, name, ok := strings.Cut(h, "/"); ok {
			if ix.byNS == nil {
				ix.byNS = map[string]*hostGroup{}
			}
			if g = ix.byNS[n]; g == nil {
				g = &hostGroup{}
				ix.byNS[n] = g
			}
			h = name
		}
		g.add(h, pos)
	}
	ix.plain.sort()
	for _, g := range ix.byNS {
		g.sort()
	}
	return ix
}

func (g *hostGroup) add(h string, pos int) {
	if wildcarded(h) {
		if g.wild == nil {
			g.wild = map[string][]int{}
		}
		g.wild[h[1:]] = append(g.wild[h[1:]], pos)
		g.wildRev = append(g.wildRev, hostRev{rev: reverseString(h[1:]), host: h, pos: pos})
		return
	}
	if g.exact == nil {
		g.exact = map[string][]int{}
	}
	g.exact[h] = append(g.exact[h], pos)
	g.exactRev = append(g.exactRev, hostRev{rev: reverseString(h), host: h, pos: pos})
}

func (g *hostGroup) sort() {
	byRev := func(a, b hostRev) int { return cmp.Or(strings.Compare(a.rev, b.rev), cmp.Compare(a.pos, b.pos)) }
	slices.SortFunc(g.exactRev, byRev)
	slices.SortFunc(g.wildRev, byRev)
}

// endingWith returns the entries of sorted whose host (or fixed part)
// ends with the suffix whose reversed bytes are rev.
func endingWith(sorted []hostRev, rev string) []hostRev {
	i, _ := slices.BinarySearchFunc(sorted, rev, func(e hostRev, t string) int { return strings.Compare(e.rev, t) })
	j := i
	for j < len(sorted) && strings.HasPrefix(sorted[j].rev, rev) {
		j++
	}
	return sorted[i:j]
}

// groups returns the host groups a VirtualService of namespace ns binds
// to: hosts without namespace, "ns/h", and with star "*/h" too
// (host.NamesForNamespace; [pickMatchingHosts] takes "ns/h" only).
func (ix *hostIndex) groups(ns string, star bool) []*hostGroup {
	out := []*hostGroup{&ix.plain}
	if g := ix.byNS[ns]; g != nil {
		out = append(out, g)
	}
	if g := ix.byNS["*"]; star && g != nil && ns != "*" {
		out = append(out, g)
	}
	return out
}

// overlap calls fn for each host x of the group that overlaps the host
// y (hostMatches(x, y)), with the position of x and the name the
// intersection of the two keeps: x when x is covered by y, else y
// (hostIntersection). It stops when fn returns false.
func (g *hostGroup) overlap(y string, fn func(pos int, name string) bool) bool {
	if !wildcarded(y) {
		for _, p := range g.exact[y] {
			if !fn(p, y) {
				return false
			}
		}
		// A wildcard "*x" covers y when y ends with x.
		for i := 0; i <= len(y) && len(g.wild) > 0; i++ {
			for _, p := range g.wild[y[i:]] {
				if !fn(p, y) {
					return false
				}
			}
		}
		return true
	}
	s := y[1:]
	rev := reverseString(s)
	// Exact hosts and longer wildcards ending with y's fixed part are
	// covered by y.
	for _, e := range endingWith(g.exactRev, rev) {
		if !fn(e.pos, e.host) {
			return false
		}
	}
	for _, e := range endingWith(g.wildRev, rev) {
		if !fn(e.pos, e.host) {
			return false
		}
	}
	// Shorter wildcards whose fixed part ends y's cover y.
	for i := 1; i <= len(s) && len(g.wild) > 0; i++ {
		for _, p := range g.wild[s[i:]] {
			if !fn(p, y) {
				return false
			}
		}
	}
	return true
}

// binds reports whether a host of the index matches a host of the
// VirtualService v: [pickMatchingHosts], or with star the hosts
// [hostsForNamespace] gives too.
func (ix *hostIndex) binds(v *vsObj, star bool) bool {
	for _, g := range ix.groups(v.ns, star) {
		for _, y := range v.hosts {
			if !g.overlap(y, func(int, string) bool { return false }) {
				return true
			}
		}
	}
	return false
}

// intersection returns hostIntersection(hostsForNamespace(hosts, v.ns),
// v.hosts) for the server hosts the index was built from, in the same
// order.
func (ix *hostIndex) intersection(v *vsObj) []string {
	type pair struct {
		x, y int
		name string
	}
	var pairs []pair
	for _, g := range ix.groups(v.ns, true) {
		for yi, y := range v.hosts {
			g.overlap(y, func(pos int, name string) bool {
				pairs = append(pairs, pair{pos, yi, name})
				return true
			})
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	slices.SortFunc(pairs, func(a, b pair) int { return cmp.Or(cmp.Compare(a.x, b.x), cmp.Compare(a.y, b.y)) })
	out := make([]string, 0, len(pairs))
	seen := make(map[string]bool, len(pairs))
	for _, p := range pairs {
		if !seen[p.name] {
			seen[p.name] = true
			out = append(out, p.name)
		}
	}
	return out
}

// vsHostIndex indexes the hosts of the VirtualServices bound to one
// Gateway, in Istio's order, for the servers of that Gateway.
type vsHostIndex struct {
	vss   []*vsObj
	hosts hostGroup
	owner []int // host position -> index in vss
}

func newVSHostIndex(vss []*vsObj) *vsHostIndex {
	ix := &vsHostIndex{vss: vss}
	for i, v := range vss {
		for _, h := range v.hosts {
			ix.hosts.add(h, len(ix.owner))
			ix.owner = append(ix.owner, i)
		}
	}
	ix.hosts.sort()
	return ix
}

// candidates returns the VirtualServices of the index with a host that
// matches a host of the server s visible to their namespace ("ns/h" for
// namespace ns or "*"), in the index's order: the only ones whose hosts
// can intersect the server's.
func (ix *vsHostIndex) candidates(s *gwServer) []*vsObj {
	if ix == nil {
		return nil
	}
	var idx []int
	for _, h := range s.hosts {
		n, x, scoped := strings.Cut(h, "/")
		if !scoped {
			x = h
		}
		ix.hosts.overlap(x, func(pos int, _ string) bool {
			if vi := ix.owner[pos]; !scoped || n == "*" || ix.vss[vi].ns == n {
				idx = append(idx, vi)
			}
			return true
		})
		if len(idx) >= 4*len(ix.vss) {
			// Most of them: sorting more positions costs more than
			// taking every VirtualService.
			return ix.vss
		}
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	out := make([]*vsObj, len(idx))
	for i, vi := range idx {
		out[i] = ix.vss[vi]
	}
	return out
}

// dotFrom returns the index of the first '.' of s at or after from, or -1.
// Envoy looks for the wildcards of a server name from its second byte on
// (findFilterChainForServerName): ".example.com" is not under
// "*.example.com".
func dotFrom(s string, from int) int {
	if from >= len(s) {
		return -1
	}
	if i := strings.IndexByte(s[from:], '.'); i >= 0 {
		return from + i
	}
	return -1
}

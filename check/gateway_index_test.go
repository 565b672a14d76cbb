package check

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The indexes of gateway_index.go against the scans they replace, on
// random hosts from a small alphabet, so that exact names, suffixes,
// wildcards of every kind and namespace parts collide often.

func indexTestName(r *rand.Rand) string {
	labels := []string{"a", "b", "A", "ab", "ba", "x-y"}
	n := 1 + r.IntN(3)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = labels[r.IntN(len(labels))]
	}
	return strings.Join(parts, ".")
}

func indexTestPattern(r *rand.Rand) string {
	name := indexTestName(r)
	var h string
	switch r.IntN(7) {
	case 0:
		h = "*"
	case 1, 2:
		h = "*." + name
	case 3:
		h = "*" + name
	case 4:
		h = name + "*"
	default:
		h = name
	}
	switch r.IntN(6) {
	case 0:
		h = "ns1/" + h
	case 1:
		h = "ns2/" + h
	case 2:
		h = "*/" + h
	}
	return h
}

func indexTestPatterns(r *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = indexTestPattern(r)
	}
	return out
}

func TestNameIndexAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		hosts := indexTestPatterns(r, r.IntN(12))
		var ix nameIndex
		for i, h := range hosts {
			ix.add(h, i)
		}
		for range 30 {
			name := strings.ToLower(indexTestName(r))
			var want []int
			for i, h := range hosts {
				if nameMatchesHost(name, h) {
					want = append(want, i)
				}
			}
			if got := ix.matchSorted(nil, name); !slices.Equal(got, want) {
				t.Fatalf("nameIndex%q.match(%q) = %v; want %v", hosts, name, got, want)
			}
		}
	}
}

func TestServerNameIndexAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		var chains []*chain
		for range r.IntN(8) {
			c := &chain{}
			switch r.IntN(5) {
			case 0: // every connection
			case 1:
				c.sni = []string{}
			default:
				for _, h := range indexTestPatterns(r, 1+r.IntN(3)) {
					c.sni = append(c.sni, strings.ToLower(stripNamespace(h)))
				}
			}
			chains = append(chains, c)
		}
		ix := newServerNameIndex(chains)
		for range 30 {
			sni := strings.ToLower(indexTestName(r))
			seen := r.IntN(4) > 0
			want, bestScore := -1, -1
			for i, c := range chains {
				score := 0
				if c.sni != nil {
					if !seen {
						continue
					}
					if score = envoyServerNameMatch(c.sni, sni); score == 0 {
						continue
					}
				}
				if score > bestScore {
					want, bestScore = i, score
				}
			}
			if got := ix.pick(sni, seen); got != want {
				t.Fatalf("serverNameIndex.pick(%q, %v) = %d; want %d (chains %v)", sni, seen, got, want, chainNames(chains))
			}
		}
	}
}

func chainNames(cs []*chain) [][]string {
	var out [][]string
	for _, c := range cs {
		out = append(out, c.sni)
	}
	return out
}

func TestDomainIndexAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 300 {
		var domains []string
		for _, h := range indexTestPatterns(r, r.IntN(12)) {
			domains = append(domains, stripNamespace(h))
		}
		ix := newDomainIndex(domains)
		for range 30 {
			host := strings.ToLower(indexTestName(r))
			if got, want := ix.pick(host), envoyDomainMatch(domains, host); got != want {
				t.Fatalf("domainIndex%q.pick(%q) = %d; want %d", domains, host, got, want)
			}
		}
	}
}

func TestHostIndexAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 500 {
		hosts := indexTestPatterns(r, r.IntN(12))
		ix := newHostIndex(hosts)
		for range 20 {
			v := &vsObj{ns: []string{"ns1", "ns2", "ns3"}[r.IntN(3)]}
			for range 1 + r.IntN(3) {
				v.hosts = append(v.hosts, stripNamespace(indexTestPattern(r)))
			}
			want := hostIntersection(hostsForNamespace(hosts, v.ns), v.hosts)
			if got := ix.intersection(v); !slices.Equal(got, want) {
				t.Fatalf("hostIndex%q.intersection(%s %q) = %q; want %q", hosts, v.ns, v.hosts, got, want)
			}
			if got, want := ix.binds(v, false), pickMatchingHosts(hosts, v); got != want {
				t.Fatalf("hostIndex%q.binds(%s %q, false) = %v; want %v", hosts, v.ns, v.hosts, got, want)
			}
			if got, want := ix.binds(v, true), len(want) > 0 || pickMatchingHosts(hosts, v); got != want {
				t.Fatalf("hostIndex%q.binds(%s %q, true) = %v; want %v", hosts, v.ns, v.hosts, got, want)
			}
		}
	}
}

func TestVSHostIndexCandidates(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 300 {
		var vss []*vsObj
		for range r.IntN(10) {
			v := &vsObj{ns: []string{"ns1", "ns2", "ns3"}[r.IntN(3)]}
			for range 1 + r.IntN(3) {
				v.hosts = append(v.hosts, stripNamespace(indexTestPattern(r)))
			}
			vss = append(vss, v)
		}
		ix := newVSHostIndex(vss)
		for range 10 {
			s := &gwServer{hosts: indexTestPatterns(r, 1+r.IntN(4))}
			s.hix = newHostIndex(s.hosts)
			got := ix.candidates(s)
			// In order, and every VirtualService that binds is there.
			last := -1
			for _, c := range got {
				i := slices.Index(vss, c)
				if i <= last {
					t.Fatalf("candidates out of order")
				}
				last = i
			}
			for _, v := range vss {
				binds := len(hostIntersection(hostsForNamespace(s.hosts, v.ns), v.hosts)) > 0 || pickMatchingHosts(s.hosts, v)
				if binds && !slices.Contains(got, v) {
					t.Fatalf("server hosts %q: VirtualService %s %q binds but is not a candidate", s.hosts, v.ns, v.hosts)
				}
			}
		}
	}
}

func TestChainMostSpecificAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	g := &Gateway{}
	gw := &gwObj{name: "gw", ns: "ns1"}
	for range 300 {
		var servers []*gwServer
		for range 1 + r.IntN(5) {
			s := &gwServer{gw: gw, hosts: indexTestPatterns(r, 1+r.IntN(4))}
			if r.IntN(5) == 0 {
				s.skipped = "dropped"
			}
			servers = append(servers, s)
		}
		l := &listenerPort{chains: []*chain{{servers: servers, server: servers[0]}}}
		g.index(l)
		c := l.chains[0]
		for range 20 {
			name := strings.ToLower(indexTestName(r))
			if r.IntN(10) == 0 {
				name = ""
			}
			if got, want := c.mostSpecific(name), mostSpecific(servers, name); got != want {
				t.Fatalf("chain.mostSpecific(%q) = %v; want %v", name, got, want)
			}
		}
	}
}

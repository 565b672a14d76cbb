package route_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/route"
)

// benchSizes are the table sizes of [BenchmarkTableMatch] and
// [BenchmarkMapPeer]: n exact hosts and n/10 wildcards.
var benchSizes = []int{10, 1000, 10000, 100000}

// benchKinds are the kinds of lookup each size is measured with.
var benchKinds = []string{"exact", "wildcard", "miss"}

// benchSet is a table's routes and, for each kind of lookup, the 1,024
// names looked up in rotation, with the keys a plain map looks up for them.
type benchSet struct {
	routes []route.Route
	table  *route.Table        // built from routes by BenchmarkTableMatch
	names  map[string][]string // what Table.Match is given
	keys   map[string][]string // the key of a map holding the patterns
	index  map[string]int      // that map: routing-form exact names and wildcard suffixes
}

// newBenchSet returns a table of n exact hosts "svc-i.apps.example.com" and
// n/10 wildcards "*.tenant-i.example.net", looked up by exact hits spread
// over the table, hits under a wildcard ("www.eu.tenant-i.example.net") and
// names no route matches. The names are copies, as a name read from a
// ClientHello would be, so that no lookup finds its key by pointer.
func newBenchSet(n int) *benchSet {
	s := &benchSet{names: map[string][]string{}, keys: map[string][]string{}, index: map[string]int{}}
	add := func(kind, name, key string) {
		name = strings.Clone(name)
		s.names[kind] = append(s.names[kind], name)
		s.keys[kind] = append(s.keys[kind], name[len(name)-len(key):])
	}
	for i := range n {
		h := "svc-" + strconv.Itoa(i) + ".apps.example.com"
		s.index[h] = len(s.routes)
		s.routes = append(s.routes, route.Route{Name: "r" + strconv.Itoa(i), Hosts: []string{h}})
		if i%max(n/1024, 1) == 0 {
			add("exact", h, h)
		}
	}
	for i := range max(n/10, 1) {
		suffix := ".tenant-" + strconv.Itoa(i) + ".example.net"
		s.index[suffix] = len(s.routes)
		s.routes = append(s.routes, route.Route{Name: "w" + strconv.Itoa(i), Hosts: []string{"*" + suffix}})
		if i%max(n/10/1024, 1) == 0 {
			add("wildcard", "www.eu"+suffix, suffix)
		}
	}
	for i := range 1024 {
		name := "nope-" + strconv.Itoa(i) + ".unknown.example.org"
		add("miss", name, name)
	}
	for _, kind := range benchKinds {
		for len(s.names[kind]) < 1024 {
			s.names[kind] = append(s.names[kind], s.names[kind]...)
			s.keys[kind] = append(s.keys[kind], s.keys[kind]...)
		}
	}
	return s
}

// BenchmarkTableMatch measures [route.Table.Match]; [BenchmarkMapPeer] is
// its yardstick, run beside it:
//
//	go test -run '^$' -bench 'TableMatch|MapPeer' ./route > new.txt
//	go tool -modfile=internal/tools/go.mod benchstat -col .name new.txt
func BenchmarkTableMatch(b *testing.B) {
	for _, n := range benchSizes {
		build := tableOnce(n)
		for _, kind := range benchKinds {
			b.Run(fmt.Sprintf("hosts=%d/%s", n, kind), func(b *testing.B) {
				s, err := build()
				if err != nil {
					b.Fatal(err)
				}
				tb, names, miss := s.table, s.names[kind], kind == "miss"
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if r := tb.Match(names[i&1023]); (r == nil) != miss {
						b.Fatalf("Match(%q) = %v", names[i&1023], r)
					}
					i++
				}
			})
		}
	}
}

// BenchmarkMapPeer is one lookup in a map[string]int holding the same
// patterns as the table of [BenchmarkTableMatch], for the same names in the
// same rotation: the name itself for exact hits and misses, and for a
// wildcard hit the suffix that matches it (the one hit a map-based router
// would need at least). It is what a lookup in the table is compared with.
func BenchmarkMapPeer(b *testing.B) {
	for _, n := range benchSizes {
		build := sync.OnceValue(func() *benchSet { return newBenchSet(n) })
		for _, kind := range benchKinds {
			b.Run(fmt.Sprintf("hosts=%d/%s", n, kind), func(b *testing.B) {
				s := build()
				keys, miss := s.keys[kind], kind == "miss"
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if _, ok := s.index[keys[i&1023]]; ok == miss {
						b.Fatalf("index[%q]: ok = %v", keys[i&1023], ok)
					}
					i++
				}
			})
		}
	}
}

// BenchmarkTableRatio runs the lookups of [BenchmarkTableMatch] and of
// [BenchmarkMapPeer] in the same process, in turns of the 1,024 names each,
// and reports the median over turns of a table lookup (table-ns), of a map
// lookup (map-ns) and of their ratio (table/map). Turns of some 30 µs, taken
// in turn, see the same machine: on one shared with other work, where two
// benchmarks run one after the other do not, the ratio stays put.
//
//	go test -run '^$' -bench TableRatio -count 10 ./route > ratio.txt
//	go tool -modfile=internal/tools/go.mod benchstat ratio.txt
func BenchmarkTableRatio(b *testing.B) {
	for _, n := range benchSizes {
		build := tableOnce(n)
		for _, kind := range benchKinds {
			b.Run(fmt.Sprintf("hosts=%d/%s", n, kind), func(b *testing.B) {
				s, err := build()
				if err != nil {
					b.Fatal(err)
				}
				tb, names, keys, miss := s.table, s.names[kind], s.keys[kind], kind == "miss"
				var table, peer, ratio []float64
				for b.Loop() {
					t0 := time.Now()
					for _, name := range names {
						if r := tb.Match(name); (r == nil) != miss {
							b.Fatalf("Match(%q) = %v", name, r)
						}
					}
					t1 := time.Now()
					for _, key := range keys {
						if _, ok := s.index[key]; ok == miss {
							b.Fatalf("index[%q]: ok = %v", key, ok)
						}
					}
					t2 := time.Now()
					tt := float64(t1.Sub(t0)) / float64(len(names))
					mt := float64(t2.Sub(t1)) / float64(len(keys))
					table, peer, ratio = append(table, tt), append(peer, mt), append(ratio, tt/mt)
				}
				b.ReportMetric(0, "ns/op") // a turn of both: the medians say more
				b.ReportMetric(median(table), "table-ns")
				b.ReportMetric(median(peer), "map-ns")
				b.ReportMetric(median(ratio), "table/map")
			})
		}
	}
}

func median(x []float64) float64 {
	slices.Sort(x)
	return x[len(x)/2]
}

// tableOnce returns a func that builds the bench set of n hosts with its
// Table once, and only if a sub-benchmark of this size runs.
func tableOnce(n int) func() (*benchSet, error) {
	return sync.OnceValues(func() (*benchSet, error) {
		s := newBenchSet(n)
		var err error
		s.table, err = route.NewTable(s.routes)
		return s, err
	})
}

package route_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/internal/hostname"

	"github.com/drawbridge-go/drawbridge/route"
)

func tableOf(t testing.TB, hosts ...string) *route.Table {
	t.Helper()
	var rs []route.Route
	for _, h := range hosts {
		rs = append(rs, route.Route{Name: h, Hosts: []string{h}})
	}
	tb, err := route.NewTable(rs)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// long is a host name longer than a slot holds in line.
const long = "a-label-long-enough-to-push-the-name-past-what-a-slot-holds.example.com"

func TestTableMatch(t *testing.T) {
	tb := tableOf(t, "a.example.com", "*.example.com", "*.b.example.com", "x.b.example.com", "*.com", "*", long, "*."+long)
	for _, tt := range []struct{ name, want string }{
		{"a.example.com", "a.example.com"},
		{"A.EXAMPLE.com.", "a.example.com"},
		{"z.example.com", "*.example.com"},
		{"deep.z.example.com", "*.example.com"},
		{"y.b.example.com", "*.b.example.com"},
		{"x.b.example.com", "x.b.example.com"},
		{"X.B.Example.Com", "x.b.example.com"},
		{"b.example.com", "*.example.com"},
		{"example.com", "*.com"},
		{"evil-example.com", "*.com"},
		{"example.org", "*"},
		{"localhost", "*"},
		{long, long},
		{strings.ToUpper(long) + ".", long},
		{"x." + long, "*." + long},
		{"X." + strings.ToUpper(long), "*." + long},
		{"x" + long, "*.example.com"},
	} {
		if r := tb.Match(tt.name); r == nil || r.Name != tt.want {
			t.Errorf("Match(%q) = %v; want %q", tt.name, r, tt.want)
		}
		if r := tb.MatchBytes([]byte(tt.name)); r == nil || r.Name != tt.want {
			t.Errorf("MatchBytes(%q) = %v; want %q", tt.name, r, tt.want)
		}
	}
	noAny := tableOf(t, "a.example.com", "*.example.com")
	for _, name := range []string{"", ".", "example.com", "a.example.com.evil.org", "evil-example.com", ".example.com", string(make([]byte, 300))} {
		if r := noAny.Match(name); r != nil {
			t.Errorf("Match(%q) = %q; want no match", name, r.Name)
		}
	}
	if i := noAny.MatchIndex("q.example.com"); i != 1 {
		t.Errorf("MatchIndex(q.example.com) = %d; want 1", i)
	}
}

func TestNewTableErrors(t *testing.T) {
	if _, err := route.NewTable([]route.Route{{Hosts: []string{"a.b"}}, {Hosts: []string{"A.B."}}}); err == nil {
		t.Error("NewTable accepted a host routed twice")
	}
	if _, err := route.NewTable([]route.Route{{Hosts: []string{"*."}}}); err == nil {
		t.Error("NewTable accepted an invalid pattern")
	}
}

// TestTableZero: the zero Table, a nil *Table and a table of no routes hold
// no route; every lookup misses without panicking.
func TestTableZero(t *testing.T) {
	empty, err := route.NewTable(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		tb   *route.Table
	}{{"zero", &route.Table{}}, {"nil", nil}, {"NewTable(nil)", empty}} {
		if n := tc.tb.Len(); n != 0 {
			t.Errorf("%s: Len() = %d; want 0", tc.name, n)
		}
		for _, name := range []string{"a.example.com", "*", "", "x."} {
			if r := tc.tb.Match(name); r != nil {
				t.Errorf("%s: Match(%q) = %v; want nil", tc.name, name, r)
			}
			if r := tc.tb.MatchBytes([]byte(name)); r != nil {
				t.Errorf("%s: MatchBytes(%q) = %v; want nil", tc.name, name, r)
			}
			if i := tc.tb.MatchIndex(name); i != -1 {
				t.Errorf("%s: MatchIndex(%q) = %d; want -1", tc.name, name, i)
			}
		}
	}
}

func TestTableMatchNoAllocs(t *testing.T) {
	tb := tableOf(t, "a.example.com", "*.example.com", "*", long)
	b := []byte("Deep.Z.Example.COM.")
	for _, name := range []string{"a.example.com", "Deep.Z.Example.COM.", "other.org", strings.ToUpper(long)} {
		if n := testing.AllocsPerRun(100, func() { tb.Match(name) }); n != 0 {
			t.Errorf("Match(%q) allocates %v times; want 0", name, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { tb.MatchBytes(b) }); n != 0 {
		t.Errorf("MatchBytes allocates %v times; want 0", n)
	}
}

// refMatch is the specification of Table.Match: a linear scan.
func refMatch(pats []hostname.Pattern, name string) int {
	best, bestLen := -1, -1
	for i, p := range pats {
		if !p.Match(name) {
			continue
		}
		switch p.Kind() {
		case hostname.KindExact:
			return i
		case hostname.KindWildcard:
			if len(p.Suffix()) > bestLen {
				best, bestLen = i, len(p.Suffix())
			}
		case hostname.KindAny:
			if bestLen < 0 {
				best, bestLen = i, 0
			}
		}
	}
	if len(strings.TrimSuffix(name, ".")) > hostname.MaxLen {
		return -1
	}
	return best
}

func FuzzTableMatch(f *testing.F) {
	hosts := []string{"a.example.com", "*.example.com", "*.b.example.com", "x.b.example.com", "*.com", "*.a-very-long-label-indeed.example.org", long, "*.x." + long, "*"}
	for _, s := range []string{"a.example.com", "A.B.EXAMPLE.COM.", "x.b.example.com", "evil-example.com", "..", ".example.com", "q.a-very-long-label-indeed.example.org", "\x80.example.com", strings.ToUpper(long), "y.X." + long} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, name string, withAny bool) {
		hs := hosts
		if !withAny {
			hs = hosts[:len(hosts)-1]
		}
		var pats []hostname.Pattern
		var rs []route.Route
		for _, h := range hs {
			pats = append(pats, hostname.MustParsePattern(h))
			rs = append(rs, route.Route{Name: h, Hosts: []string{h}})
		}
		tb, err := route.NewTable(rs)
		if err != nil {
			t.Fatal(err)
		}
		want := refMatch(pats, name)
		if got := tb.MatchIndex(name); got != want {
			t.Fatalf("MatchIndex(%q) = %d; want %d", name, got, want)
		}
	})
}

// TestTableMatchRandom compares Table.Match with the linear reference on
// random tables: labels from a small alphabet, so that names share suffixes
// and wildcards of many lengths cover each other, and names up to 60 bytes,
// so that suffixes share 16-byte blocks of the name's hash with it.
func TestTableMatchRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	labels := []string{"a", "b", "ab", "xyz", "long-label-0123456789", "q9", "mid-label"}
	randName := func(maxLabels int) string {
		parts := make([]string, 1+rng.IntN(maxLabels))
		for i := range parts {
			parts[i] = labels[rng.IntN(len(labels))]
		}
		return strings.Join(parts, ".")
	}
	for round := range 300 {
		var pats []hostname.Pattern
		var rs []route.Route
		seen := map[hostname.Pattern]bool{}
		for range 1 + rng.IntN(40) {
			h := randName(4)
			switch rng.IntN(4) {
			case 0, 1:
				h = "*." + h
			case 2:
				if rng.IntN(8) == 0 {
					h = "*"
				}
			}
			p := hostname.MustParsePattern(h)
			if seen[p] {
				continue
			}
			seen[p] = true
			pats = append(pats, p)
			rs = append(rs, route.Route{Name: h, Hosts: []string{h}})
		}
		tb, err := route.NewTable(rs)
		if err != nil {
			t.Fatal(err)
		}
		for range 200 {
			name := randName(6)
			if rng.IntN(4) == 0 {
				name = strings.ToUpper(name[:1]) + name[1:]
			}
			if rng.IntN(4) == 0 {
				name += "."
			}
			if got, want := tb.MatchIndex(name), refMatch(pats, name); got != want {
				t.Fatalf("round %d: MatchIndex(%q) = %d; want %d (routes %v)", round, name, got, want, pats)
			}
		}
	}
}

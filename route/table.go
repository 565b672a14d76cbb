package route

import (
	"fmt"
	"hash/maphash"
	"math/bits"
	"strings"
	"unsafe"

	"github.com/drawbridge-go/drawbridge/internal/hostname"
)

// Table finds the route for a server name at run time, for proxies built on
// drawbridge. Build it once with [NewTable] (or [Config.Table]); it is
// immutable afterwards and safe for concurrent use.
//
// Matching is case-insensitive and ignores one trailing dot. An exact name
// wins over any wildcard, the longest wildcard suffix over shorter ones, and
// "*" catches what is left. A lookup lowercases the name eight bytes at a
// time as it hashes it with a per-table random seed (so clients cannot aim
// for collisions), and probes an open-addressed table; a wildcard probe is
// made only for suffixes whose length some wildcard has.
// Its cost does not grow with the table, and it allocates nothing.
//
// The zero Table (and a nil *Table) holds no route: every lookup misses.
type Table struct {
	routes []Route
	seed   seed
	exact  hashIndex // routing-form names
	suffix hashIndex // wildcard suffixes with their dot: ".example.com"
	any    int32     // 1 + the index of the "*" route, or 0 for none
	// suffixLens has bit n set when some wildcard suffix is n bytes long.
	suffixLens [4]uint64
}

// NewTable builds a table from routes, taking their Hosts patterns. Two
// routes with the same pattern are an error.
func NewTable(routes []Route) (*Table, error) {
	t := &Table{
		routes: append([]Route(nil), routes...),
		seed:   newSeed(),
	}
	var exact, suffix []string
	var exactRoute, suffixRoute []int32
	seen := map[hostname.Pattern]int{}
	for i, r := range t.routes {
		for j, h := range r.Hosts {
			p, err := hostname.ParsePattern(h)
			if err != nil {
				return nil, fmt.Errorf("route: table: routes[%d].hosts[%d]: %w", i, j, err)
			}
			if first, dup := seen[p]; dup {
				return nil, fmt.Errorf("route: table: routes[%d].hosts[%d]: %q is already routed by routes[%d]", i, j, h, first)
			}
			seen[p] = i
			switch p.Kind() {
			case hostname.KindExact:
				exact = append(exact, p.Name())
				exactRoute = append(exactRoute, int32(i))
			case hostname.KindWildcard:
				suffix = append(suffix, p.Suffix())
				suffixRoute = append(suffixRoute, int32(i))
				n := len(p.Suffix())
				t.suffixLens[n/64] |= 1 << (n % 64)
			case hostname.KindAny:
				t.any = int32(i) + 1
			}
		}
	}
	t.exact.build(t.seed, exact, exactRoute)
	t.suffix.build(t.seed, suffix, suffixRoute)
	return t, nil
}

// Table builds a [Table] from the routes of the listener named listener.
func (c *Config) Table(listener string) (*Table, error) {
	if _, ok := c.ListenerByName(listener); !ok {
		return nil, fmt.Errorf("route: table: no listener named %q", listener)
	}
	return NewTable(c.RoutesOf(listener))
}

// Len returns the number of routes in t.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.routes)
}

// Route returns the i'th route the table was built from.
func (t *Table) Route(i int) Route { return t.routes[i] }

// hashIndex is an open-addressed hash table from keys (in routing form) to
// route indexes. A slot holds what a probe needs (hash tag, key position,
// route index), so a hit touches one slot and the key's bytes.
//
// Past filterMin keys the slots no longer stay in the CPU's caches, and a
// probe for an absent key (the exact probe before a wildcard hit, the
// suffixes tried before the longest wildcard that matches) would cost a
// cache miss. A blocked Bloom filter of 16 bits a key (two bits in one
// word, about 2% false positives) answers most of those from a table an
// eighth of the slots' size.
type hashIndex struct {
	slots  []slot
	mask   uint64
	filter []uint64 // nil below filterMin keys
	fmask  uint64
	arena  string // keys back to back
}

// filterMin is the number of keys from which a hashIndex has a filter.
const filterMin = 1024

type slot struct {
	tag   uint32 // high 32 bits of the key's hash
	route int32  // route index
	off   uint32 // key is arena[off:off+n]
	n     uint32 // key length; 0 marks an empty slot
}

func (h *hashIndex) build(seed seed, keys []string, routes []int32) {
	n := 1
	for n < 2*len(keys) {
		n <<= 1
	}
	h.slots = make([]slot, n)
	h.mask = uint64(n - 1)
	var arena strings.Builder
	for k, key := range keys {
		off := uint32(arena.Len())
		arena.WriteString(key)
		hv := seed.hashFold(key)
		for i := hv & h.mask; ; i = (i + 1) & h.mask {
			if h.slots[i].n == 0 {
				h.slots[i] = slot{tag: uint32(hv >> 32), route: routes[k], off: off, n: uint32(len(key))}
				break
			}
		}
	}
	h.arena = arena.String()
	if len(keys) >= filterMin {
		w := 1
		for w < len(keys)/4 {
			w <<= 1
		}
		h.filter = make([]uint64, w)
		h.fmask = uint64(w - 1)
		for _, key := range keys {
			hv := seed.hashFold(key)
			h.filter[(hv>>32)&h.fmask] |= filterBits(hv)
		}
	}
}

// filterBits returns the two bits of the filter word for hash hv. The word
// is picked by bits 32 and up, the bits by the top twelve, and the slot by
// the low bits, so the three are independent.
func filterBits(hv uint64) uint64 {
	return 1<<(hv>>58) | 1<<((hv>>52)&63)
}

// get returns the route index of the key that equals name ignoring ASCII
// case, whose hash is hv, or -1.
func (h *hashIndex) get(hv uint64, name string) int32 {
	if len(h.slots) == 0 {
		return -1
	}
	if h.filter != nil {
		if b := filterBits(hv); h.filter[(hv>>32)&h.fmask]&b != b {
			return -1
		}
	}
	tag := uint32(hv >> 32)
	for i := hv & h.mask; ; i = (i + 1) & h.mask {
		s := &h.slots[i]
		if s.n == 0 {
			return -1
		}
		if s.tag == tag && int(s.n) == len(name) && equalFold(h.arena[s.off:s.off+s.n], name) {
			return s.route
		}
	}
}

// Match returns the route for serverName, or nil when no route matches.
// The route is shared by every caller and must not be modified; Match
// returns a pointer so that the hot path copies nothing.
func (t *Table) Match(serverName string) *Route {
	if i := t.MatchIndex(serverName); i >= 0 {
		return &t.routes[i]
	}
	return nil
}

// MatchBytes is [Table.Match] for a name held in a byte slice, such as the
// server name of a parsed ClientHello. It does not retain serverName.
func (t *Table) MatchBytes(serverName []byte) *Route {
	if i := t.MatchIndex(unsafeString(serverName)); i >= 0 {
		return &t.routes[i]
	}
	return nil
}

// MatchIndex returns the index, in the routes the table was built from, of
// the route for serverName, or -1.
func (t *Table) MatchIndex(serverName string) int {
	if t == nil {
		return -1
	}
	name := serverName
	if n := len(name); n > 0 && name[n-1] == '.' {
		name = name[:n-1]
	}
	if len(name) == 0 || len(name) > hostname.MaxLen {
		return -1
	}
	if i := t.exact.get(t.seed.hashFold(name), name); i >= 0 {
		return int(i)
	}
	if len(t.suffix.slots) > 0 {
		if i := t.matchSuffix(name); i >= 0 {
			return int(i)
		}
	}
	return int(t.any) - 1
}

// matchSuffix returns the route of the longest wildcard suffix of name, or
// -1. It finds the dots eight bytes at a time, left to right (longest suffix
// first), and probes only suffixes whose length some wildcard has.
func (t *Table) matchSuffix(name string) int32 {
	i := 0
	for ; i < len(name); i += 8 {
		var m uint64
		if i+8 <= len(name) {
			m = dotBytes(load8(name, i))
		} else {
			// The last partial word: load the final 8 bytes (or fewer)
			// and drop the bytes already seen.
			for j := i; j < len(name); j++ {
				if name[j] == '.' {
					m |= 0x80 << (8 * (j - i))
				}
			}
		}
		for ; m != 0; m &= m - 1 {
			k := i + bits.TrailingZeros64(m)/8
			n := len(name) - k
			if k == 0 || name[k-1] == '.' || t.suffixLens[n/64]&(1<<(n%64)) == 0 {
				continue
			}
			if r := t.suffix.get(t.seed.hashFold(name[k:]), name[k:]); r >= 0 {
				return r
			}
		}
	}
	return -1
}

// dotBytes returns 0x80 in each byte of w that is '.', and 0 elsewhere.
func dotBytes(w uint64) uint64 {
	const low7 = 0x7F7F7F7F7F7F7F7F
	x := w ^ 0x2E2E2E2E2E2E2E2E // zero where the byte is '.'
	y := (x & low7) + low7      // high bit set where the low 7 bits are non-zero
	return ^(y | x | low7)      // high bit set exactly where x is zero
}

// seed keys a table's hash, so that clients cannot aim for collisions.
type seed struct{ a, b uint64 }

func newSeed() seed {
	s := maphash.MakeSeed()
	return seed{maphash.String(s, "a") | 1, maphash.String(s, "b")}
}

// hashFold hashes s with ASCII capitals folded to lowercase, eight bytes at
// a time (a wyhash-style multiply-fold mix).
func (sd seed) hashFold(s string) uint64 {
	const k = 0x9E3779B97F4A7C15
	h := sd.a ^ uint64(len(s))*k
	if len(s) < 8 {
		var w uint64
		for i := 0; i < len(s); i++ {
			w |= uint64(lower1(s[i])) << (8 * i)
		}
		return mix(h^w, sd.b)
	}
	i := 0
	for ; i+8 <= len(s); i += 8 {
		h = mix(h^lower8(load8(s, i)), k)
	}
	if i < len(s) {
		h = mix(h^lower8(load8(s, len(s)-8)), k) // overlaps the last word
	}
	return mix(h, sd.b)
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// equalFold reports whether key (in routing form: lowercase) equals name
// with ASCII capitals folded; len(key) == len(name).
func equalFold(key, name string) bool {
	i := 0
	for ; i+8 <= len(name); i += 8 {
		if load8(key, i) != lower8(load8(name, i)) {
			return false
		}
	}
	for ; i < len(name); i++ {
		if key[i] != lower1(name[i]) {
			return false
		}
	}
	return true
}

func load8(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

func lower1(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		c += 'a' - 'A'
	}
	return c
}

// lower8 lowercases the ASCII capital letters among the 8 bytes of w and
// leaves every other byte as it is.
func lower8(w uint64) uint64 {
	const ones = 0x0101010101010101
	const high = 0x8080808080808080
	h := w &^ high               // low 7 bits of each byte: no carries across bytes
	geA := h + (0x80-'A')*ones   // high bit set where byte >= 'A'
	gtZ := h + (0x80-'Z'-1)*ones // high bit set where byte > 'Z'
	return w | (geA&^gtZ&^w&high)>>2
}

// unsafeString views b as a string for a lookup that does not retain it.
func unsafeString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

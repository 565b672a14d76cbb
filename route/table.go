package route

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
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
// "*" catches what is left. A lookup hashes the name eight bytes at a time
// with a per-table random seed (so clients cannot aim for collisions),
// folding ASCII case as it goes, and probes an open-addressed table: an
// exact hit reads one control word and one slot that holds the key, as a
// map reads a group and then the key's bytes. A wildcard probe is made only
// for suffixes whose length some wildcard has, one probe a suffix tried. A
// name already in routing form (lowercase, no trailing dot, as
// [github.com/drawbridge-go/drawbridge/sni.Hello.ServerName] gives it) is
// never copied or lowercased.
// Its cost does not grow with the table, and it allocates nothing.
//
// The zero Table (and a nil *Table) holds no route: every lookup misses.
type Table struct {
	routes []Route
	seed   seed
	exact  hashIndex // routing-form names
	suffix hashIndex // wildcard suffixes with their dot: ".example.com"
	any    int32     // 1 + the index of the "*" route, or 0 for none
	// suffixLens has bit n set when some wildcard suffix is n bytes long;
	// suffixMin and suffixMax are the shortest and longest of them.
	suffixLens           [4]uint64
	suffixMin, suffixMax uint8
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
				if t.suffixMin == 0 || n < int(t.suffixMin) {
					t.suffixMin = uint8(n)
				}
				t.suffixMax = max(t.suffixMax, uint8(n))
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

// hashIndex is an open-addressed hash table from keys in routing form to
// route indexes, laid out as Go's maps are: slots in groups of eight, and
// for each group a control word of eight bytes, 0x80 for an empty slot and
// else the top 7 bits of the key's hash. A probe reads a group's control
// word and compares the key only in the slots whose tag matches (one in
// 128 of the others); it stops at the first group with an empty slot, and
// the table is at most 7/8 full.
//
// Unlike a map's, the control words sit apart from the slots, 1 byte a
// slot, so that an absent key (the exact probe before a wildcard hit, the
// shorter suffixes, a miss) reads only that small, cache-resident array;
// and a slot is one 64-byte cache line holding the key itself, so that a
// hit reads one line where a map reads the slot and then the key's bytes
// elsewhere. Only keys longer than [inlineLen] live apart, in an arena.
type hashIndex struct {
	ctrl  []uint64 // control bytes, one word a group
	slots []slot   // eight a group
	mask  uint64   // len(ctrl) - 1
	arena string   // keys longer than inlineLen, back to back
}

// inlineLen is the longest key a slot holds itself.
const inlineLen = 55

type slot struct {
	route int32           // route index
	off   uint32          // a longer key is arena[off:off+n]
	n     uint8           // key length (at most hostname.MaxLen)
	key   [inlineLen]byte // the key when n <= inlineLen
}

func (h *hashIndex) build(seed seed, keys []string, routes []int32) {
	groups := 1
	for groups*8*7 < len(keys)*8 {
		groups <<= 1
	}
	h.ctrl = make([]uint64, groups)
	for g := range h.ctrl {
		h.ctrl[g] = empty
	}
	h.slots = make([]slot, groups*8)
	h.mask = uint64(groups - 1)
	var arena strings.Builder
	for k, key := range keys {
		hv := seed.hash(key)
		s := slot{route: routes[k], n: uint8(len(key))}
		if len(key) <= inlineLen {
			copy(s.key[:], key)
		} else {
			s.off = uint32(arena.Len())
			arena.WriteString(key)
		}
		for g := hv & h.mask; ; g = (g + 1) & h.mask {
			if m := h.ctrl[g] & empty; m != 0 {
				j := bits.TrailingZeros64(m) / 8
				h.ctrl[g] ^= (0x80 ^ hv>>57) << (8 * j)
				h.slots[g*8+uint64(j)] = s
				break
			}
		}
	}
	h.arena = arena.String()
}

// empty is a control word of eight empty slots.
const empty = 0x8080808080808080

// get returns the route index of key name, whose hash is hv, or -1. It
// answers from the first group when it can, with no call, and else probes.
func (h *hashIndex) get(hv uint64, name string) int32 {
	g := hv & h.mask
	c := h.ctrl[g]
	x := c ^ hv>>57*ones
	if m := (x - ones) &^ x & empty; m != 0 {
		s := &h.slots[g*8+uint64(bits.TrailingZeros64(m)/8)]
		if int(s.n) == len(name) && s.n <= inlineLen && equalKey(unsafeString(s.key[:s.n]), name) {
			return s.route
		}
	} else if c&empty != 0 {
		return -1
	}
	return h.probe(hv, name)
}

// probe returns the route index of key name, whose hash is hv, or -1.
func (h *hashIndex) probe(hv uint64, name string) int32 {
	tags := hv >> 57 * ones // the group is picked by the low bits of hv
	for g := hv & h.mask; ; g = (g + 1) & h.mask {
		c := h.ctrl[g]
		// High bits where c's byte is the tag, and perhaps in the byte
		// above one that is: the key comparison rejects those.
		x := c ^ tags
		for m := (x - ones) &^ x & empty; m != 0; m &= m - 1 {
			s := &h.slots[g*8+uint64(bits.TrailingZeros64(m)/8)]
			if int(s.n) != len(name) {
				continue
			}
			var key string
			if s.n <= inlineLen {
				key = unsafeString(s.key[:s.n])
			} else {
				key = h.arena[s.off : s.off+uint32(s.n)]
			}
			if equalKey(key, name) || equalFold(key, name) {
				return s.route
			}
		}
		if c&empty != 0 {
			return -1
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
	if len(t.exact.ctrl) > 0 {
		if i := t.exact.get(t.seed.hash(name), name); i >= 0 {
			return int(i)
		}
	}
	if len(t.suffix.ctrl) > 0 && t.mayHaveSuffix(name) {
		if i := t.matchSuffix(name); i >= 0 {
			return int(i)
		}
	}
	return int(t.any) - 1
}

// mayHaveSuffix reports whether name may have a wildcard suffix: whether
// there is a dot where a suffix as long as the shortest or the longest
// wildcard's would start, or between. It answers from one word.
func (t *Table) mayHaveSuffix(name string) bool {
	lo, hi := len(name)-int(t.suffixMax), len(name)-int(t.suffixMin)
	if lo < 0 || lo+8 > len(name) || hi-lo >= 8 {
		return hi >= 1 // matchSuffix will tell
	}
	return dotBytes(load8(name, lo))&(1<<(8*(hi-lo+1))-1) != 0
}

// matchSuffix returns the route of the longest wildcard suffix of name, or
// -1. It finds the dots eight bytes at a time, left to right (longest suffix
// first), among the positions where a suffix is as long as some wildcard's,
// and probes only suffixes whose length some wildcard has.
func (t *Table) matchSuffix(name string) int32 {
	// Dots at k, lo <= k <= hi; a dot at 0 would leave an empty label.
	lo, hi := max(len(name)-int(t.suffixMax), 1), len(name)-int(t.suffixMin)
	for i := lo; i <= hi; i += 8 {
		var m uint64
		if i+8 <= len(name) {
			m = dotBytes(load8(name, i))
		} else {
			for j := i; j < len(name); j++ {
				if name[j] == '.' {
					m |= 0x80 << (8 * (j - i))
				}
			}
		}
		if hi-i < 7 {
			m &= 1<<(8*(hi-i+1)) - 1 // the bytes past hi
		}
		for ; m != 0; m &= m - 1 {
			k := i + bits.TrailingZeros64(m)/8
			n := len(name) - k
			if name[k-1] == '.' || t.suffixLens[n/64]&(1<<(n%64)) == 0 {
				continue
			}
			if r := t.suffix.get(t.seed.hash(name[k:]), name[k:]); r >= 0 {
				return r
			}
		}
	}
	return -1
}

// seed keys a table's hash, so that clients cannot aim for collisions.
type seed struct{ s0, s1, s2 uint64 }

func newSeed() seed { return seed{rand.Uint64(), rand.Uint64(), rand.Uint64()} }

// hash hashes s, which is not empty, with a keyed multiply-fold mix (the
// one Go's maps use where the CPU has no AES instructions, after wyhash).
// It sets bit 5 of every byte first, so that ASCII capitals hash as their
// lowercase letters, at the cost of one OR a word.
func (sd seed) hash(s string) uint64 {
	const m5 = 0x1d8e4e27c47d124f
	var a, b uint64
	h := sd.s0
	switch n := len(s); {
	case n < 4:
		a = (uint64(s[0]) | uint64(s[n>>1])<<8 | uint64(s[n-1])<<16) | fold&0xFFFFFF
	case n < 8:
		a = load4(s, 0) | fold&0xFFFFFFFF
		b = load4(s, n-4) | fold&0xFFFFFFFF
	case n <= 16:
		a = load8(s, 0) | fold
		b = load8(s, n-8) | fold
	default:
		// 16 bytes at a time into h; the last 16 (which may overlap them)
		// into a and b, mixed apart from h so that the two overlap in time.
		for i := 0; n-i > 16; i += 16 {
			h = mix((load8(s, i)|fold)^sd.s1, (load8(s, i+8)|fold)^h)
		}
		a = load8(s, n-16) | fold
		b = load8(s, n-8) | fold
	}
	return mix(m5^uint64(len(s))^h, mix(a^sd.s1, b^sd.s2))
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

const (
	ones = 0x0101010101010101
	low7 = 0x7F7F7F7F7F7F7F7F
	fold = 0x2020202020202020 // bit 5 of every byte: lowercase ASCII letters have it
)

// zeroBytes returns 0x80 in each byte of w that is 0, and 0 elsewhere.
func zeroBytes(w uint64) uint64 {
	y := (w & low7) + low7 // high bit set where the low 7 bits are non-zero
	return ^(y | w | low7) // high bit set exactly where w is zero
}

// dotBytes returns 0x80 in each byte of w that is '.', and 0 elsewhere.
func dotBytes(w uint64) uint64 { return zeroBytes(w ^ '.'*ones) }

// load8 returns the eight bytes of s from i as a little-endian word. (One
// bounds check: the compiler proves the constant indexes of the slice.)
func load8(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func load4(s string, i int) uint64 {
	s = s[i : i+4]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24
}

// equalKey reports whether key equals name, eight bytes at a time;
// len(key) == len(name). Unlike ==, it makes no call.
func equalKey(key, name string) bool {
	n := len(name)
	if n < 8 {
		return key == name
	}
	var d uint64
	for i := 0; i < n-8; i += 8 {
		d |= load8(key, i) ^ load8(name, i)
	}
	return d|(load8(key, n-8)^load8(name, n-8)) == 0 // overlaps the last word
}

// equalFold reports whether key, in routing form (lowercase), equals name
// with its ASCII capitals lowercased; len(key) == len(name).
func equalFold(key, name string) bool {
	for i := 0; i < len(name); i++ {
		if key[i] != lower1(name[i]) {
			return false
		}
	}
	return true
}

func lower1(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		c += 'a' - 'A'
	}
	return c
}

// unsafeString views b as a string for a lookup that does not retain it.
func unsafeString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

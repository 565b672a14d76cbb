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
// "*" catches what is left. A lookup hashes the name once, 16 bytes at a
// time from its end, with a per-table random seed (so clients cannot aim for
// collisions), folding ASCII case as it goes, and probes an open-addressed
// table: an exact hit reads one control word and one slot that holds the
// key, as a map reads a group and then the key's bytes. A wildcard probe is
// made only for suffixes whose length some wildcard has, one probe a suffix
// tried, and a suffix's hash is finished from the blocks of the name's
// (two multiplications): a wildcard hit costs the name's hash, the absent
// exact name's control word and a probe for each suffix tried. A name
// already in routing form (lowercase, no trailing dot, as
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
	// lens[e] has 0x80 in byte j when some wildcard suffix is e-j bytes
	// long, for j from 0 to 7: ANDed with the dots of the eight bytes of a
	// name whose first is e bytes from its end, it leaves the dots where a
	// wildcard's suffix may start. len(lens) is suffixMax+1, or 0 for no
	// wildcard; suffixMin and suffixMax are the shortest and longest
	// wildcard suffixes.
	lens                 []uint64
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
	if len(suffix) > 0 {
		t.lens = make([]uint64, int(t.suffixMax)+1)
		for _, s := range suffix {
			for j := range 8 {
				if e := len(s) + j; e < len(t.lens) {
					t.lens[e] |= 0x80 << (8 * j)
				}
			}
		}
	}
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
// 128 of the others); it stops at the first group with an empty slot.
//
// The table is at most half full, with as many groups as that takes (a
// key's first group is picked by multiplying, not masking, its hash), so
// that few groups are full. Filled to 7/8, as Go's maps may be, a third of
// the groups were full at 100,000 names, and an absent key whose first
// group is full must read the next: a miss, or the exact probe before a
// wildcard hit, then cost a call, another control word and a branch the CPU
// cannot foresee. A slot is 64 bytes, so a key costs about 130 bytes.
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
	n     uint64   // len(ctrl), the number of groups
	arena string   // keys longer than inlineLen, back to back
}

// group returns the first group of a key whose hash is hv: the low 32
// bits of hv scaled to the number of groups.
func (h *hashIndex) group(hv uint64) uint64 { return uint64(uint32(hv)) * h.n >> 32 }

// next returns the group after g, wrapping around.
func (h *hashIndex) next(g uint64) uint64 {
	if g++; g == h.n {
		return 0
	}
	return g
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
	if len(keys) == 0 {
		return // lookups skip an index with no groups
	}
	groups := (len(keys) + 3) / 4
	h.ctrl = make([]uint64, groups)
	for g := range h.ctrl {
		h.ctrl[g] = empty
	}
	h.slots = make([]slot, groups*8)
	h.n = uint64(groups)
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
		for g := h.group(hv); ; g = h.next(g) {
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

// find returns the route index of key name, or -1, given its hash hv, its
// first group g and that group's control word c, which its callers read
// and test themselves so that an absent key costs no call.
func (h *hashIndex) find(g, c, hv uint64, name string) int32 {
	tags := hv >> 57 * ones
	for {
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
			if n := len(name); n >= 8 {
				// Eight bytes at a time, the last word overlapping.
				var d uint64
				for i := 0; i < n-8; i += 8 {
					d |= load8(key, i) ^ load8(name, i)
				}
				if d|(load8(key, n-8)^load8(name, n-8)) == 0 {
					return s.route
				}
			} else if key == name {
				return s.route
			}
			if equalFold(key, name) {
				return s.route
			}
		}
		if c&empty != 0 {
			return -1
		}
		g = h.next(g)
		c = h.ctrl[g]
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
//
// The hot path is written out here rather than in calls: the name is
// hashed once (as [seed.hash] does), an absent key costs one control word
// and no call, and each wildcard suffix tried is hashed from the chain of
// the name's blocks, so that it costs two multiplications and a probe.
func (t *Table) MatchIndex(serverName string) int {
	if t == nil {
		return -1
	}
	name := serverName
	if n := len(name); n > 0 && name[n-1] == '.' {
		name = name[:n-1]
	}
	n := len(name)
	if n == 0 || n > hostname.MaxLen {
		return -1
	}
	// The name's hash; for a name longer than 16 bytes, also the chain of
	// its blocks and of all but its first, which the suffixes tried share.
	sd := &t.seed
	var hv, last, prev uint64
	if n <= 16 {
		hv = sd.short(name)
	} else {
		last = sd.s0
		for r := n; r > 16; r -= 16 {
			prev, last = last, mix((load8(name, r-16)|fold)^sd.s1, (load8(name, r-8)|fold)^last)
		}
		hv = mix(m5^uint64(n)^last, mix((load8(name, 0)|fold)^sd.s1, (load8(name, 8)|fold)^sd.s2))
	}
	if e := &t.exact; len(e.ctrl) > 0 {
		// A group with no slot of the tag and an empty slot does not hold
		// the name.
		g := e.group(hv)
		c := e.ctrl[g]
		x := c ^ hv>>57*ones
		m := (x - ones) &^ x & empty
		if m != 0 && n >= 8 && n <= inlineLen {
			// The first slot of the tag, compared here: a name the table
			// holds is mostly there.
			s := &e.slots[g*8+uint64(bits.TrailingZeros64(m)/8)]
			key := unsafeString(s.key[:])
			var d uint64
			for i := 0; i < n-8; i += 8 {
				d |= load8(key, i) ^ load8(name, i)
			}
			if int(s.n) == n && d|(load8(key, n-8)^load8(name, n-8)) == 0 {
				return int(s.route)
			}
		}
		if m != 0 || c&empty == 0 {
			if i := e.find(g, c, hv, name); i >= 0 {
				return int(i)
			}
		}
	}
	// The wildcard suffixes: the dots at k, lo <= k <= hi, where a suffix
	// starts that is as long as some wildcard's (a dot at 0 would leave an
	// empty label), eight bytes at a time, left to right, longest first.
	if lens := t.lens; len(lens) > 0 {
		lo, hi := max(n-int(t.suffixMax), 1), n-int(t.suffixMin)
		blocks := (n - 1) / 16 // of the name: last is their chain
		for i := lo; i <= hi; i += 8 {
			var w uint64
			switch {
			case i+8 <= n:
				w = load8(name, i)
			case n >= 8:
				w = load8(name, n-8) >> (8 * (i - (n - 8))) // zeros past the end
			default:
				for j := i; j < n; j++ {
					w |= uint64(name[j]) << (8 * (j - i))
				}
			}
			for m := dotBytes(w) & lens[n-i]; m != 0; m &= m - 1 {
				k := i + bits.TrailingZeros64(m)/8
				if name[k-1] == '.' {
					continue
				}
				sfx := name[k:]
				var hv uint64
				if b := (len(sfx) - 1) / 16; len(sfx) > 16 && b >= blocks-1 {
					st := last
					if b < blocks {
						st = prev // the name has one block more
					}
					hv = mix(m5^uint64(len(sfx))^st, mix((load8(sfx, 0)|fold)^sd.s1, (load8(sfx, 8)|fold)^sd.s2))
				} else {
					hv = sd.hash(sfx)
				}
				h := &t.suffix
				g := h.group(hv)
				c := h.ctrl[g]
				x := c ^ hv>>57*ones
				tags := (x - ones) &^ x & empty
				if tags != 0 && len(sfx) >= 8 && len(sfx) <= inlineLen {
					// As for the exact name.
					s, ns := &h.slots[g*8+uint64(bits.TrailingZeros64(tags)/8)], len(sfx)
					key := unsafeString(s.key[:])
					var d uint64
					for j := 0; j < ns-8; j += 8 {
						d |= load8(key, j) ^ load8(sfx, j)
					}
					if int(s.n) == ns && d|(load8(key, ns-8)^load8(sfx, ns-8)) == 0 {
						return int(s.route)
					}
				}
				if tags != 0 || c&empty == 0 {
					if r := h.find(g, c, hv, sfx); r >= 0 {
						return int(r)
					}
				}
			}
		}
	}
	return int(t.any) - 1
}

// seed keys a table's hash, so that clients cannot aim for collisions.
type seed struct{ s0, s1, s2 uint64 }

func newSeed() seed { return seed{rand.Uint64(), rand.Uint64(), rand.Uint64()} }

// hash hashes s, which is not empty, with a keyed multiply-fold mix (the
// one Go's maps use where the CPU has no AES instructions, after wyhash).
// It sets bit 5 of every byte first, so that ASCII capitals hash as their
// lowercase letters, at the cost of one OR a word.
//
// A key longer than 16 bytes is taken 16 bytes at a time from its end,
// chained into one word, and its first 16 bytes (which may overlap the
// last block) are mixed in last. Every suffix of a name so shares the
// blocks of its end with the name: [Table.MatchIndex] hashes the name once,
// keeps the chain, and finishes each suffix it tries from it as
// [seed.finish] does (written out there, as is the chain).
func (sd seed) hash(s string) uint64 {
	n := len(s)
	if n <= 16 {
		return sd.short(s)
	}
	h := sd.s0
	for r := n; r > 16; r -= 16 {
		h = sd.block(h, s, r-16)
	}
	return sd.finish(h, s)
}

// block chains the 16 bytes of s at i into h.
func (sd seed) block(h uint64, s string, i int) uint64 {
	return mix((load8(s, i)|fold)^sd.s1, (load8(s, i+8)|fold)^h)
}

// finish returns the hash of s, more than 16 bytes long, from h, the chain
// of its blocks.
func (sd seed) finish(h uint64, s string) uint64 {
	a := load8(s, 0) | fold
	b := load8(s, 8) | fold
	return mix(m5^uint64(len(s))^h, mix(a^sd.s1, b^sd.s2))
}

// short returns the hash of s, 1 to 16 bytes long.
func (sd seed) short(s string) uint64 {
	var a, b uint64
	switch n := len(s); {
	case n < 4:
		a = (uint64(s[0]) | uint64(s[n>>1])<<8 | uint64(s[n-1])<<16) | fold&0xFFFFFF
	case n < 8:
		a = load4(s, 0) | fold&0xFFFFFFFF
		b = load4(s, n-4) | fold&0xFFFFFFFF
	default:
		a = load8(s, 0) | fold
		b = load8(s, n-8) | fold
	}
	return mix(m5^uint64(len(s))^sd.s0, mix(a^sd.s1, b^sd.s2))
}

const m5 = 0x1d8e4e27c47d124f

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

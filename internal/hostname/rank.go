package hostname

import "strings"

// Covers reports whether every name host pattern h matches is also matched
// by pattern b ("*", "*.suffix" or an exact name, in routing form).
func Covers(b, h string) bool {
	switch {
	case b == "*":
		return true
	case h == "*":
		return false
	case strings.HasPrefix(b, "*."):
		return strings.HasSuffix(h, b[1:]) && len(h) > len(b)-1
	}
	return b == h
}

// Rank orders host sets by their most specific host: an exact name above
// any wildcard, a longer wildcard above a shorter one, "*" last. A greater
// rank is more specific.
func Rank(hs []string) int {
	best := 0
	for _, h := range hs {
		r := len(h)
		switch {
		case h == "*":
			r = 0
		case !strings.HasPrefix(h, "*."):
			r = 1 << 20
		}
		best = max(best, r)
	}
	return best
}

// Package hostname normalizes, validates and matches DNS host names and the
// host patterns drawbridge routes by.
//
// # Names
//
// [Normalize] gives the routing form of a name: ASCII letters lowercased and one
// trailing dot removed. [Validate] checks a name against RFC 1123 (labels of 1 to
// 63 letters, digits and hyphens, not starting or ending with a hyphen; 253
// bytes in all). Internationalized names must be given in their A-label
// (punycode, "xn--") form: raw non-ASCII bytes are an error that says so.
//
// # Patterns
//
// A [Pattern] is an exact name ("a.example.com"), a wildcard ("*.example.com",
// matching one or more labels in front of the suffix but not the apex, and
// never "evil-example.com"), or "*" (any name).
package hostname

import (
	"errors"
	"fmt"
	"strings"
)

// MaxLen is the longest host name in bytes (RFC 1035 section 2.3.4, without the
// trailing dot).
const MaxLen = 253

// MaxLabelLen is the longest label in bytes (RFC 1035 section 2.3.4).
const MaxLabelLen = 63

// ErrInvalid is wrapped by every validation error of this package.
var ErrInvalid = errors.New("invalid host name")

// Error describes why a name or pattern is invalid.
type Error struct {
	Name   string // the name or pattern as given
	Offset int    // byte offset of the problem in Name, or -1
	Detail string // what is wrong
}

// Error implements error.
func (e *Error) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("%q: %s (at byte %d)", e.Name, e.Detail, e.Offset)
	}
	return fmt.Sprintf("%q: %s", e.Name, e.Detail)
}

// Unwrap returns [ErrInvalid].
func (e *Error) Unwrap() error { return ErrInvalid }

// Normalize returns the routing form of name: ASCII letters lowercased and one
// trailing dot removed. It does not validate name.
func Normalize(name string) string {
	name = strings.TrimSuffix(name, ".")
	for i := 0; i < len(name); i++ {
		if c := name[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(name) // only ASCII changes: non-ASCII is invalid anyway
		}
	}
	return name
}

// Validate reports whether name is a valid host name in the sense of RFC 1123,
// returning an [*Error] that names the offending label when it is not. One
// trailing dot is allowed; letters may be in any case.
func Validate(name string) error {
	return validate(name, name, 0)
}

// validate checks name, which starts at byte off of orig.
func validate(orig, name string, off int) error {
	if name == "" {
		return &Error{Name: orig, Offset: -1, Detail: "empty name"}
	}
	if strings.HasSuffix(name, ".") {
		name = name[:len(name)-1]
		if name == "" {
			return &Error{Name: orig, Offset: off, Detail: "empty label"}
		}
	}
	if len(name)+off > MaxLen {
		return &Error{Name: orig, Offset: -1, Detail: fmt.Sprintf("longer than %d bytes", MaxLen)}
	}
	start := 0
	for i := 0; i <= len(name); i++ {
		if i < len(name) && name[i] != '.' {
			c := name[i]
			switch {
			case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-':
			case c >= 0x80:
				return &Error{Name: orig, Offset: off + i, Detail: "non-ASCII byte: write internationalized names in their A-label (punycode, xn--) form"}
			case c == '*':
				return &Error{Name: orig, Offset: off + i, Detail: `"*" is only allowed as the whole first label of a pattern`}
			default:
				return &Error{Name: orig, Offset: off + i, Detail: fmt.Sprintf("invalid character %q", c)}
			}
			continue
		}
		label := name[start:i]
		switch {
		case label == "":
			return &Error{Name: orig, Offset: off + start, Detail: "empty label"}
		case len(label) > MaxLabelLen:
			return &Error{Name: orig, Offset: off + start, Detail: fmt.Sprintf("label longer than %d bytes", MaxLabelLen)}
		case label[0] == '-':
			return &Error{Name: orig, Offset: off + start, Detail: "label starts with a hyphen"}
		case label[len(label)-1] == '-':
			return &Error{Name: orig, Offset: off + i - 1, Detail: "label ends with a hyphen"}
		}
		start = i + 1
	}
	return nil
}

// Kind is the kind of a [Pattern].
type Kind uint8

// The kinds of patterns.
const (
	KindInvalid  Kind = iota // the zero Pattern
	KindExact                // "a.example.com"
	KindWildcard             // "*.example.com"
	KindAny                  // "*"
)

// String returns "exact", "wildcard", "any" or "invalid".
func (k Kind) String() string {
	switch k {
	case KindExact:
		return "exact"
	case KindWildcard:
		return "wildcard"
	case KindAny:
		return "any"
	}
	return "invalid"
}

// Pattern is a parsed host pattern. The zero value is invalid and matches
// nothing. Patterns are comparable: two patterns are equal when they match the
// same names.
type Pattern struct {
	kind Kind
	// name is the routing form: the whole name for KindExact, the suffix
	// with its leading dot (".example.com") for KindWildcard, "" for KindAny.
	name string
}

// ParsePattern parses an exact name, a "*." wildcard or "*". The result is in
// routing form (lowercase, no trailing dot).
func ParsePattern(s string) (Pattern, error) {
	switch {
	case s == "*":
		return Pattern{kind: KindAny}, nil
	case s == "*.":
		return Pattern{}, &Error{Name: s, Offset: 2, Detail: "empty label"}
	case strings.HasPrefix(s, "*."):
		if err := validate(s, s[2:], 2); err != nil {
			return Pattern{}, err
		}
		return Pattern{kind: KindWildcard, name: "." + Normalize(s[2:])}, nil
	case strings.HasPrefix(s, "*"):
		return Pattern{}, &Error{Name: s, Offset: 1, Detail: `a wildcard must be "*" or start with "*."`}
	}
	if err := Validate(s); err != nil {
		return Pattern{}, err
	}
	return Pattern{kind: KindExact, name: Normalize(s)}, nil
}

// MustParsePattern is like [ParsePattern] but panics on error. It is meant for
// constants in programs and tests.
func MustParsePattern(s string) Pattern {
	p, err := ParsePattern(s)
	if err != nil {
		panic(err)
	}
	return p
}

// IsValid reports whether p was made by [ParsePattern].
func (p Pattern) IsValid() bool { return p.kind != KindInvalid }

// Kind returns the kind of p.
func (p Pattern) Kind() Kind { return p.kind }

// Name returns the exact name of a KindExact pattern, or the suffix without
// its leading dot ("example.com") of a KindWildcard pattern, or "".
func (p Pattern) Name() string {
	if p.kind == KindWildcard {
		return p.name[1:]
	}
	return p.name
}

// Suffix returns the suffix of a KindWildcard pattern with its leading dot
// (".example.com"), or "".
func (p Pattern) Suffix() string {
	if p.kind == KindWildcard {
		return p.name
	}
	return ""
}

// String returns the pattern in its canonical text form.
func (p Pattern) String() string {
	switch p.kind {
	case KindAny:
		return "*"
	case KindWildcard:
		return "*" + p.name
	}
	return p.name
}

// Match reports whether host (in any case, with or without one trailing dot)
// matches p.
func (p Pattern) Match(host string) bool {
	host = strings.TrimSuffix(host, ".")
	switch p.kind {
	case KindAny:
		return host != ""
	case KindExact:
		return strings.EqualFold(host, p.name)
	case KindWildcard:
		return len(host) > len(p.name) && strings.EqualFold(host[len(host)-len(p.name):], p.name) && host[len(host)-len(p.name)-1] != '.'
	}
	return false
}

// Covers reports whether every name q matches is also matched by p.
func (p Pattern) Covers(q Pattern) bool {
	switch {
	case !p.IsValid() || !q.IsValid():
		return false
	case p.kind == KindAny:
		return true
	case q.kind == KindAny:
		return false
	case p.kind == KindExact:
		return q == p
	case q.kind == KindExact:
		return p.Match(q.name)
	}
	// both wildcards: *.a.example.com is covered by *.example.com
	return q.name == p.name || strings.HasSuffix(q.name, p.name)
}

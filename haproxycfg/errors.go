package haproxycfg

import (
	"errors"
	"fmt"
)

// ErrNoEdge is returned by [Compile] for a route configuration without an
// edge tier: there is no HAProxy to generate (the gateway tier alone is
// istiocfg's).
var ErrNoEdge = errors.New("haproxycfg: the configuration has no edge tier")

// ErrInvalid is wrapped by every [*Error]: the typed configuration cannot be
// written as a haproxy.cfg that HAProxy reads back unchanged.
var ErrInvalid = errors.New("haproxycfg: invalid configuration")

// Error is a problem found by [Config.Validate] (and so by the writer).
type Error struct {
	// Line is the line of the generated haproxy.cfg the problem is on.
	Line int
	// Section is the section header ("backend be_web").
	Section string
	// Field names the offending value ("server s1 address").
	Field string
	// Detail says what is wrong.
	Detail string
}

// Error returns "haproxycfg: line N (section): field: detail".
func (e *Error) Error() string {
	s := fmt.Sprintf("haproxycfg: line %d", e.Line)
	if e.Section != "" {
		s += " (" + e.Section + ")"
	}
	if e.Field != "" {
		s += ": " + e.Field
	}
	return s + ": " + e.Detail
}

// Unwrap returns [ErrInvalid].
func (e *Error) Unwrap() error { return ErrInvalid }

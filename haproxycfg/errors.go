package haproxycfg

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNoEdge is returned by [Compile] for a route configuration without an
// edge tier: there is no HAProxy to generate (the gateway tier alone is
// istiocfg's).
var ErrNoEdge = errors.New("haproxycfg: the configuration has no edge tier")

// ErrInvalid is wrapped by every [*Error]: the typed configuration cannot be
// written as a haproxy.cfg that HAProxy reads back unchanged.
var ErrInvalid = errors.New("haproxycfg: invalid configuration")

// ErrSyntax is wrapped by the [*Error] values of [Parse] and [ParseMap]:
// the text is not a configuration (or map file) HAProxy would read.
var ErrSyntax = errors.New("haproxycfg: syntax error")

// Error is a problem found by [Config.Validate] (and so by the writer), or
// by [Parse] and [ParseMap] in a file.
type Error struct {
	// File is the name of the file read by [Parse] or [ParseMap]; empty
	// for problems of a typed configuration.
	File string
	// Line is the line the problem is on: of the file read, or of the
	// generated haproxy.cfg.
	Line int
	// Column is the 1-based byte column in the line; zero when unknown.
	Column int
	// Section is the section header ("backend be_web").
	Section string
	// Field names the offending value ("server s1 address").
	Field string
	// Detail says what is wrong.
	Detail string
	// Err is the condition: [ErrSyntax] for the errors of [Parse] and
	// [ParseMap]; nil means [ErrInvalid].
	Err error
}

// Error returns "haproxycfg: line N (section): field: detail" for a typed
// configuration and "haproxycfg: file:line[:column]: (section): detail" for
// a file that was read.
func (e *Error) Error() string {
	var s string
	if e.File != "" {
		s = fmt.Sprintf("haproxycfg: %s:%d", e.File, e.Line)
		if e.Column > 0 {
			s += fmt.Sprintf(":%d", e.Column)
		}
		s += ":"
		if e.Section != "" {
			s += " (" + e.Section + ")"
		}
	} else {
		s = fmt.Sprintf("haproxycfg: line %d", e.Line)
		if e.Section != "" {
			s += " (" + e.Section + ")"
		}
		s += ":"
	}
	if e.Field != "" {
		s += " " + e.Field + ":"
	}
	return s + " " + e.Detail
}

// Unwrap returns Err, or [ErrInvalid] when it is nil.
func (e *Error) Unwrap() error {
	if e.Err != nil {
		return e.Err
	}
	return ErrInvalid
}

// ValidationError lists every problem [Config.Validate] found, in the order
// of the configuration's lines. It is what Validate, [Config.AppendText] and
// [Config.WriteTo] return for an invalid configuration: [errors.As] with a
// *ValidationError gives them all, with an [*Error] the first one.
type ValidationError struct {
	Errors []*Error
}

// Error returns the problems' messages, one a line.
func (e *ValidationError) Error() string {
	var b strings.Builder
	for i, pe := range e.Errors {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(pe.Error())
	}
	return b.String()
}

// Unwrap returns the individual problems, for [errors.Is] and [errors.As].
func (e *ValidationError) Unwrap() []error {
	errs := make([]error, len(e.Errors))
	for i, pe := range e.Errors {
		errs[i] = pe
	}
	return errs
}

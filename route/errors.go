package route

import (
	"fmt"
	"strconv"
	"strings"
)

// Error is one problem with a route configuration: in the file [Load] and
// [Parse] read (its syntax, an unknown field, a value of the wrong type),
// or in the configuration [Config.Validate] checks, at a field path such as
// "routes[2].hosts[0]".
type Error struct {
	// Line is the 1-based line of the problem in the file read, or 0 when
	// not known or not from a file.
	Line int
	// Path is the field path from the Config, in the file's lowerCamelCase
	// names; for a file, as much of it as the decoder names; empty when not
	// known.
	Path string
	// Detail says what is wrong.
	Detail string
}

// Error returns "route: line N: path: detail", leaving out the line and the
// path when they are not known.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("route: ")
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	e.appendPath(&b)
	return b.String()
}

// appendPath writes "path: detail", or the detail alone.
func (e *Error) appendPath(b *strings.Builder) {
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Detail)
}

// ValidationError lists every problem [Config.Validate] found, in field
// order: [errors.As] with a *ValidationError gives them all, with an
// [*Error] the first one.
type ValidationError struct {
	Errors []*Error
}

// Error returns "route: invalid configuration: " and the problem when there
// is one, else "route: invalid configuration: N problems:" followed by one
// problem a line, indented by two spaces.
func (e *ValidationError) Error() string {
	var b strings.Builder
	if len(e.Errors) == 1 {
		b.WriteString("route: invalid configuration: ")
		e.Errors[0].appendPath(&b)
		return b.String()
	}
	fmt.Fprintf(&b, "route: invalid configuration: %d problems:", len(e.Errors))
	for _, fe := range e.Errors {
		b.WriteString("\n  ")
		fe.appendPath(&b)
	}
	return b.String()
}

// Unwrap returns the individual problems, for errors.As.
func (e *ValidationError) Unwrap() []error {
	errs := make([]error, len(e.Errors))
	for i, fe := range e.Errors {
		errs[i] = fe
	}
	return errs
}

// problems collects Errors, each once.
type problems struct {
	list []*Error
	seen map[Error]bool
}

func (p *problems) add(path, format string, args ...any) {
	fe := &Error{Path: path, Detail: fmt.Sprintf(format, args...)}
	if p.seen == nil {
		p.seen = map[Error]bool{}
	}
	if p.seen[*fe] {
		return // two rules found the same fault
	}
	p.seen[*fe] = true
	p.list = append(p.list, fe)
}

func idx(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// fieldPath is a field path such as "routes[2]" or "listeners[0].tls.alpn[1]"
// kept in pieces, and joined into a string only when a problem is reported
// there: Validate visits every field of configurations with tens of
// thousands of routes, nearly all of them valid.
type fieldPath struct {
	list string // "routes", or the whole path when i < 0
	i    int    // index in list, or -1
	sub  string // a list in the element, such as ".tls.alpn", or ""
	j    int    // index in sub
}

// pathOf returns the path s.
func pathOf(s string) fieldPath { return fieldPath{list: s, i: -1} }

// elemOf returns the path of element i of list, such as "routes[2]".
func elemOf(list string, i int) fieldPath { return fieldPath{list: list, i: i} }

// elem returns the path of element j of the list sub in fp, such as
// "routes[2]" + ".hosts" + "[0]". fp must not be an elem path itself.
func (fp fieldPath) elem(sub string, j int) fieldPath {
	fp.sub, fp.j = sub, j
	return fp
}

// field returns the path of field f in fp, such as "routes[2]" + ".name".
func (fp fieldPath) field(f string) string {
	s := fp.list
	if fp.i >= 0 {
		s = idx(s, fp.i)
	}
	if fp.sub != "" {
		s = idx(s+fp.sub, fp.j)
	}
	return s + f
}

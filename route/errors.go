package route

import (
	"fmt"
	"strings"
)

// FieldError is one problem found by [Config.Validate], at a field path such
// as "routes[2].hosts[0]".
type FieldError struct {
	Path   string // field path from the Config, in the file's lowerCamelCase names
	Detail string // what is wrong
}

// Error implements error.
func (e *FieldError) Error() string { return e.Path + ": " + e.Detail }

// ValidationError lists every problem [Config.Validate] found, in field
// order.
type ValidationError struct {
	Errors []*FieldError
}

// Error returns "route: N problems:" followed by one problem a line.
func (e *ValidationError) Error() string {
	var b strings.Builder
	if len(e.Errors) == 1 {
		b.WriteString("route: invalid configuration: ")
		b.WriteString(e.Errors[0].Error())
		return b.String()
	}
	fmt.Fprintf(&b, "route: invalid configuration: %d problems:", len(e.Errors))
	for _, fe := range e.Errors {
		b.WriteString("\n  ")
		b.WriteString(fe.Error())
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

// problems collects FieldErrors.
type problems struct{ list []*FieldError }

func (p *problems) add(path, format string, args ...any) {
	p.list = append(p.list, &FieldError{Path: path, Detail: fmt.Sprintf(format, args...)})
}

func idx(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

package istiocfg

import (
	"errors"
	"strconv"
)

// Sentinel errors, wrapped by [*Error].
var (
	// ErrUnknownKind: ReadYAML met an apiVersion and kind it has no Go type
	// for.
	ErrUnknownKind = errors.New("unknown apiVersion and kind")
	// ErrUnsupported: WriteYAML met a value it cannot write faithfully (a
	// google.protobuf.Any, a non-finite number, invalid UTF-8).
	ErrUnsupported = errors.New("unsupported value")
)

// Error is an error of WriteYAML or ReadYAML, with the object it concerns
// and the field path inside it.
type Error struct {
	Doc  int    // index of the document in the stream (0-based), or -1
	Kind string // the object's kind, when known
	Name string // the object's name, when known
	Path string // field path inside the object ("spec.servers[0].port"), when known
	Err  error  // what went wrong; may wrap ErrUnknownKind or ErrUnsupported
}

// Error returns "istiocfg: document N (Kind name): path: detail".
func (e *Error) Error() string {
	s := "istiocfg: "
	if e.Doc >= 0 {
		s += "document " + strconv.Itoa(e.Doc) + " "
	}
	if e.Kind != "" || e.Name != "" {
		s += "(" + e.Kind + " " + e.Name + ") "
	}
	if len(s) > len("istiocfg: ") {
		s = s[:len(s)-1] + ": "
	}
	if e.Path != "" {
		s += e.Path + ": "
	}
	return s + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

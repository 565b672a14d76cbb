package haproxycfg

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
)

// MapFile is a map file for HAProxy's map_str and map_end converters: one
// "key value" pair a line. Keys are lowercase (the compiler lowercases the
// sample before the lookup) and are written sorted, so the file is
// deterministic; map_end tries entries in file order, so for suffix maps the
// caller orders longest suffixes first and sets Ordered.
type MapFile struct {
	// Name is the file name, without directory ("edge-tls.map").
	Name string
	// Entries are the pairs.
	Entries []MapEntry
	// Ordered keeps Entries in their given order instead of sorting them
	// (map_end, map_beg: the first match wins).
	Ordered bool
}

// MapEntry is one line of a map file.
type MapEntry struct {
	Key   string
	Value string
}

// Validate reports whether m can be written: keys are non-empty, lowercase,
// without blanks, control bytes or a leading '#', and unique; values are
// non-empty without control bytes or surrounding blanks.
func (m *MapFile) Validate() error {
	if m.Name == "" || strings.ContainsAny(m.Name, "/\x00") {
		return &Error{Section: "map " + m.Name, Field: "name", Detail: "invalid map file name"}
	}
	for i, e := range m.Entries {
		fail := func(d string, args ...any) error {
			return &Error{Line: i + 1, Section: "map " + m.Name, Field: "key " + e.Key, Detail: fmt.Sprintf(d, args...)}
		}
		switch {
		case e.Key == "":
			return fail("empty key")
		case e.Key[0] == '#':
			return fail("a key starting with '#' is read as a comment")
		case strings.ContainsAny(e.Key, " \t"):
			return fail("blank in key")
		case controlByte(e.Key) >= 0:
			return fail("control byte in key")
		case hasUpper(e.Key):
			return fail("uppercase letter in key: lookups are lowercased")
		case e.Value == "" || strings.TrimSpace(e.Value) != e.Value:
			return fail("empty value or surrounding blanks")
		case controlByte(e.Value) >= 0:
			return fail("control byte in value")
		}
	}
	es := m.Entries
	if !slices.IsSortedFunc(es, cmpEntry) {
		es = slices.Clone(es)
		slices.SortFunc(es, cmpEntry)
	}
	for i := 1; i < len(es); i++ {
		if es[i].Key == es[i-1].Key {
			return &Error{Section: "map " + m.Name, Field: "key " + es[i].Key, Detail: "duplicate key"}
		}
	}
	return nil
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// AppendText appends the file's lines to b, sorted by key unless Ordered.
func (m *MapFile) AppendText(b []byte) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return b, err
	}
	es := m.Entries
	if !m.Ordered && !slices.IsSortedFunc(es, cmpEntry) {
		es = slices.Clone(es)
		slices.SortFunc(es, cmpEntry)
	}
	n := 0
	for _, e := range es {
		n += len(e.Key) + len(e.Value) + 2
	}
	b = slices.Grow(b, n)
	for _, e := range es {
		b = append(b, e.Key...)
		b = append(b, ' ')
		b = append(b, e.Value...)
		b = append(b, '\n')
	}
	return b, nil
}

func cmpEntry(a, b MapEntry) int { return cmp.Compare(a.Key, b.Key) }

// WriteTo writes the file's lines to w.
func (m *MapFile) WriteTo(w io.Writer) (int64, error) {
	b, err := m.AppendText(make([]byte, 0, 64*len(m.Entries)))
	if err != nil {
		return 0, err
	}
	n, err := w.Write(b)
	return int64(n), err
}

package haproxycfg

import (
	"bytes"
	"path/filepath"
	"strconv"
)

// ParseMap reads a map file as HAProxy 2.6 loads one (src/pattern.c
// pat_ref_read_from_file_smp); name is the file name used in errors, and
// its last element becomes [MapFile.Name].
//
// A line starting with '#' is a comment; leading blanks are skipped and
// blank lines ignored; the key runs to the first blank and the value is the
// rest of the line without surrounding blanks (it may be empty, and may hold
// blanks); a '\r' ends the line. Entries keep the file's order and
// [MapFile.Ordered] is set: the result is what HAProxy holds, so it may
// have what [MapFile.Validate] refuses (uppercase keys, which a lowercased
// lookup never finds; duplicate keys; empty values).
//
// Errors are [*Error] values wrapping [ErrSyntax] with the line: a NUL byte
// (HAProxy would cut the line there) or a line over [MaxLineLen] bytes.
func ParseMap(name string, data []byte) (MapFile, error) {
	m := MapFile{Name: filepath.Base(name), Ordered: true}
	no := 0
	for len(data) > 0 {
		no++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		fail := func(col int, d string) (MapFile, error) {
			return MapFile{}, &Error{File: name, Line: no, Column: col, Detail: d, Err: ErrSyntax}
		}
		if len(line) > MaxLineLen {
			return fail(0, "line longer than "+strconv.Itoa(MaxLineLen)+" bytes")
		}
		if i := bytes.IndexByte(line, 0); i >= 0 {
			return fail(i+1, "NUL byte")
		}
		if i := bytes.IndexByte(line, '\r'); i >= 0 {
			line = line[:i]
		}
		if len(line) > 0 && line[0] == '#' {
			continue
		}
		line = bytes.TrimLeft(line, " \t")
		if len(line) == 0 {
			continue
		}
		k := bytes.IndexAny(line, " \t")
		if k < 0 {
			k = len(line)
		}
		key := string(line[:k])
		value := string(bytes.TrimRight(bytes.TrimLeft(line[k:], " \t"), " \t"))
		m.Entries = append(m.Entries, MapEntry{Key: key, Value: value})
	}
	return m, nil
}

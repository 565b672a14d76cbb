package route

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"
)

// MaxFileSize is the largest route file [Load] reads.
const MaxFileSize = 16 << 20

// LoadError is a problem reading a route file: its syntax, an unknown field
// or a value of the wrong type. Line is 1-based, or 0 when not known.
type LoadError struct {
	Line   int    // line of the problem in the file, or 0
	Field  string // the field involved, when known
	Detail string
}

// Error implements error.
func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString("route: ")
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "%s: ", e.Field)
	}
	b.WriteString(e.Detail)
	return b.String()
}

// Load reads a route file in YAML (or JSON) strictly: unknown fields,
// duplicate keys and values of the wrong type are errors that name the field
// and, where it can be found, the line. It does not validate the result; call
// [Config.Validate].
func Load(r io.Reader) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("route: read: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, &LoadError{Detail: fmt.Sprintf("file larger than %d bytes", MaxFileSize)}
	}
	return Parse(data)
}

var (
	yamlLineRE     = regexp.MustCompile(`line (\d+): (.*)`)
	unknownFieldRE = regexp.MustCompile(`unknown field "([^"]*)"`)
	typeFieldRE    = regexp.MustCompile(`cannot unmarshal (\S+) into Go struct field \S+?\.(\S+) of type (\S+)`)
)

// Parse is [Load] on bytes.
func Parse(data []byte) (*Config, error) {
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
		msg = strings.TrimPrefix(msg, "yaml: ")
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			var line int
			fmt.Sscan(m[1], &line)
			return nil, &LoadError{Line: line, Detail: m[2]}
		}
		return nil, &LoadError{Detail: msg}
	}
	if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
		return nil, &LoadError{Detail: "empty file"}
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, jsonError(data, err)
	}
	return &c, nil
}

// jsonError turns an encoding/json error into a LoadError with the field and,
// when the field's key occurs once in the file, its line.
func jsonError(src []byte, err error) error {
	msg := err.Error()
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		key := typeErr.Field
		if i := strings.LastIndexByte(key, '.'); i >= 0 {
			key = key[i+1:]
		}
		return &LoadError{Line: keyLine(src, key), Field: typeErr.Field,
			Detail: fmt.Sprintf("cannot use a %s as %s", typeErr.Value, typeErr.Type)}
	case unknownFieldRE.MatchString(msg):
		key := unknownFieldRE.FindStringSubmatch(msg)[1]
		return &LoadError{Line: keyLine(src, key), Field: key, Detail: "unknown field"}
	case typeFieldRE.MatchString(msg):
		m := typeFieldRE.FindStringSubmatch(msg)
		return &LoadError{Line: keyLine(src, m[2]), Field: m[2], Detail: fmt.Sprintf("cannot use a %s as %s", m[1], m[3])}
	}
	msg = strings.TrimPrefix(msg, "json: ")
	// Errors from UnmarshalJSON methods (durations) carry no field name.
	return &LoadError{Detail: msg}
}

// keyLine returns the 1-based line where key occurs as a mapping key, in
// block style ("key:", "- key:") or flow style ("{a: 1, key: 2}"), when it
// occurs exactly once, else 0.
func keyLine(src []byte, key string) int {
	re, err := regexp.Compile(`(?:^\s*(?:-\s+)?|[{,]\s*)["']?` + regexp.QuoteMeta(key) + `["']?\s*:`)
	if err != nil {
		return 0
	}
	line, found := 0, 0
	for i, l := range strings.Split(string(src), "\n") {
		if re.MatchString(l) {
			line = i + 1
			found++
		}
	}
	if found != 1 {
		return 0
	}
	return line
}

// Marshal writes c as YAML. The output is deterministic (keys sorted, zero
// values omitted) and [Load] reads it back to an equal Config.
func Marshal(c *Config) ([]byte, error) {
	b, err := yaml.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("route: marshal: %w", err)
	}
	return b, nil
}

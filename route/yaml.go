package route

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// MaxFileSize is the largest route file [Load] reads.
const MaxFileSize = 16 << 20

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
		return nil, &Error{Detail: fmt.Sprintf("file larger than %d bytes", MaxFileSize)}
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
		return nil, syntaxError(data, strings.TrimPrefix(msg, "yaml: "))
	}
	if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
		return nil, &Error{Detail: "empty file"}
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, jsonError(data, err)
	}
	return &c, nil
}

// parserProblems are the messages of the YAML parser proper, as opposed to
// its scanner: the decoder (go.yaml.in/yaml/v2) reports their line counting
// from 0 where it counts scanner problems' from 1.
var parserProblems = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found duplicate %TAG directive":         true,
	"found undefined tag handle":             true,
}

// syntaxError turns the YAML decoder's message for a syntax error in data
// into an Error on the right line. The decoder names a parser problem's
// line one too early, names no line for a problem on the first line, puts a
// problem at the end of the file on the line after the last, and calls a tab
// "character that cannot start any token".
func syntaxError(data []byte, msg string) *Error {
	line, detail := 0, msg
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		detail = m[2]
	}
	switch {
	case parserProblems[detail]:
		line++
	case line == 0 && (strings.HasPrefix(detail, "found ") || strings.HasSuffix(detail, "not allowed in this context") ||
		strings.HasPrefix(detail, "did not find ") || strings.HasPrefix(detail, "could not find ")):
		line = 1 // a scanner problem on the first line
	}
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	line = min(line, len(lines))
	if detail == "found character that cannot start any token" && line > 0 && bytes.IndexByte(lines[line-1], '\t') >= 0 {
		detail = "found a tab character where YAML allows only spaces (indent with spaces)"
	}
	return &Error{Line: line, Detail: detail}
}

// jsonError turns an encoding/json error into an Error with the field and,
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
		return &Error{Line: keyLine(src, key), Path: typeErr.Field,
			Detail: fmt.Sprintf("cannot use a %s as %s", typeErr.Value, typeErr.Type)}
	case unknownFieldRE.MatchString(msg):
		key := unknownFieldRE.FindStringSubmatch(msg)[1]
		return &Error{Line: keyLine(src, key), Path: key, Detail: "unknown field"}
	case typeFieldRE.MatchString(msg):
		m := typeFieldRE.FindStringSubmatch(msg)
		return &Error{Line: keyLine(src, m[2]), Path: m[2], Detail: fmt.Sprintf("cannot use a %s as %s", m[1], m[3])}
	}
	msg = strings.TrimPrefix(msg, "json: ")
	// Errors from UnmarshalJSON methods (durations) carry no field name.
	return &Error{Detail: msg}
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

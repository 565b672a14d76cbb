package haproxycfg

import (
	"strings"
)

// HAProxy 2.6 reads a configuration line by line (src/tools.c parse_line):
// a line ends at '\n', '\r' or NUL even inside quotes; unquoted blanks
// separate words; '#' outside quotes starts a comment; "..." and '...'
// group words; inside double quotes "$NAME" and "${NAME}" expand environment
// variables; a backslash escapes ' ', '\\', '#', '"', '\'' and (inside
// double quotes) '$', and writes \t, \n, \r and \xNN bytes. At most 64
// words make a line (MAX_LINE_ARGS).

// MaxWords is the most words HAProxy reads on one line.
const MaxWords = 64

// plainSafe reports whether c can be written unquoted.
func plainSafe(c byte) bool {
	switch {
	case c <= ' ', c == 0x7f:
		return false
	case c == '"', c == '#', c == '$', c == '\'', c == '\\':
		return false
	}
	return true
}

// appendWord appends s as one configuration word that HAProxy reads back
// unchanged: unquoted when every byte is safe, else in double quotes with
// '\\', '"' and '$' escaped and control bytes as \xNN. The empty string is
// written as "" (which HAProxy drops: callers reject empty values first).
func appendWord(b []byte, s string) []byte {
	return appendQuoted(b, s, false)
}

// appendEnvWord is appendWord for values where "$NAME" and "${NAME}" are
// meant to be expanded by HAProxy ("crt $CERTS").
func appendEnvWord(b []byte, s string) []byte {
	return appendQuoted(b, s, true)
}

func appendQuoted(b []byte, s string, env bool) []byte {
	safe := s != ""
	for i := 0; i < len(s); i++ {
		if !plainSafe(s[i]) {
			safe = false
			break
		}
	}
	if safe {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' || c == '"':
			b = append(b, '\\', c)
		case c == '$' && !env:
			b = append(b, '\\', '$')
		case c < ' ' || c == 0x7f:
			const hex = "0123456789abcdef"
			b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// escapeLogFormat returns s with '%' doubled, so that HAProxy's log-format
// parser reads it as literal text.
func escapeLogFormat(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	return strings.ReplaceAll(s, "%", "%%")
}

// validName reports whether s is a valid HAProxy object name: proxies,
// servers, ACLs and resolvers accept [A-Za-z0-9_.:-].
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// validSampleArg reports whether s can be written as an argument of a sample
// fetch or converter without quoting: the argument parser of HAProxy splits
// on ',' and ')' and has its own quoting, so the package accepts only a
// conservative set of bytes there.
func validSampleArg(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_.:/@*+=-~", c) >= 0) {
			return false
		}
	}
	return true
}

// validKeyword reports whether s is a fetch, converter or option keyword.
func validKeyword(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// controlByte returns the offset of the first control byte in s, or -1.
func controlByte(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return i
		}
	}
	return -1
}

// checkEnv reports the offset of a '$' in s that HAProxy could not expand
// (not followed by a name or a braced name), or -1.
func checkEnv(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			continue
		}
		j := i + 1
		brace := j < len(s) && s[j] == '{'
		if brace {
			j++
		}
		if j >= len(s) || !(isAlpha(s[j]) || s[j] == '_') {
			return i
		}
		for j < len(s) && (isAlpha(s[j]) || s[j] >= '0' && s[j] <= '9' || s[j] == '_') {
			j++
		}
		if brace {
			if j >= len(s) || s[j] != '}' {
				return i
			}
		}
	}
	return -1
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

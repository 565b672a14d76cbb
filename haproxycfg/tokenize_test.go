package haproxycfg

import (
	"errors"
	"strings"
)

// tokenize splits one configuration line into words the way HAProxy 2.6
// does (src/tools.c parse_line with the options cfgparse.c passes:
// PARSE_OPT_ENV | PARSE_OPT_DQUOTE | PARSE_OPT_SQUOTE | PARSE_OPT_SHARP |
// PARSE_OPT_BKSLASH | PARSE_OPT_WORD_EXPAND). Leading blanks are skipped
// first, as readcfgfile does. A word is a C string there: it ends at its
// first NUL, which tokenize mirrors. env looks up environment variables.
func tokenize(line string, env func(string) (string, bool)) ([]string, error) {
	line = strings.TrimLeft(line, " \t\v\f")
	var (
		words          []string
		cur            []byte
		squote, dquote bool
	)
	isspace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' }
	ishex := func(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
	unhex := func(c byte) byte {
		switch {
		case c <= '9':
			return c - '0'
		case c >= 'a':
			return c - 'a' + 10
		}
		return c - 'A' + 10
	}
	flush := func() {
		w := string(cur)
		if i := strings.IndexByte(w, 0); i >= 0 {
			w = w[:i]
		}
		words = append(words, w)
		cur = cur[:0]
	}
	i := 0
	for {
		if i >= len(line) {
			break
		}
		c := line[i]
		switch {
		case c >= '-' && c != '\\':
			cur = append(cur, c)
			i++
		case c == 0 || c == '\n' || c == '\r':
			goto end
		case c == '#' && !squote && !dquote:
			goto end
		case c == '"' && !squote:
			dquote = !dquote
			i++
		case c == '\'' && !dquote:
			squote = !squote
			i++
		case c == '\\' && !squote:
			tosend := c
			var next byte
			if i+1 < len(line) {
				next = line[i+1]
			}
			switch next {
			case ' ', '\\':
				tosend = next
				i++
			case 't':
				tosend = '\t'
				i++
			case 'n':
				tosend = '\n'
				i++
			case 'r':
				tosend = '\r'
				i++
			case '#', '\'', '"':
				i++
				tosend = next
			case '$':
				if dquote {
					i++
					tosend = next
				}
			case 'x':
				if i+3 >= len(line) || !ishex(line[i+2]) || !ishex(line[i+3]) {
					return nil, errors.New("invalid hex escape")
				}
				tosend = unhex(line[i+2])<<4 | unhex(line[i+3])
				i += 3
			}
			i++
			cur = append(cur, tosend)
		case isspace(c) && !squote && !dquote:
			for i < len(line) && isspace(line[i]) {
				i++
			}
			flush()
		case c == '$' && dquote:
			i++
			brace := i < len(line) && line[i] == '{'
			if brace {
				i++
			}
			if i >= len(line) || !(isAlpha(line[i]) || line[i] == '_' || line[i] == '.') {
				return nil, errors.New("invalid variable name")
			}
			start := i
			if line[i] == '.' {
				i++
			}
			for i < len(line) && (isAlpha(line[i]) || '0' <= line[i] && line[i] <= '9' || line[i] == '_') {
				i++
			}
			name := line[start:i]
			val, ok := env(name)
			if brace {
				if i < len(line) && line[i] == '-' {
					j := strings.IndexByte(line[i:], '}')
					if j < 0 {
						return nil, errors.New("unmatched brace")
					}
					if !ok {
						val = line[i+1 : i+j]
					}
					i += j
				} else if i >= len(line) || line[i] != '}' {
					return nil, errors.New("unmatched brace")
				}
				i++
			}
			cur = append(cur, val...)
		default:
			cur = append(cur, c)
			i++
		}
	}
end:
	if squote || dquote {
		return nil, errors.New("unmatched quote")
	}
	// the last word counts unless it is empty (trailing blanks, or a
	// trailing "")
	if len(cur) > 0 {
		flush()
	}
	if len(words) > MaxWords {
		return words, errors.New("too many words")
	}
	return words, nil
}

func noEnv(string) (string, bool) { return "", false }

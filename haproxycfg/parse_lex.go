package haproxycfg

import "strings"

// lexWord is one word of a configuration line as HAProxy 2.6 reads it, with
// environment variables left unexpanded.
type lexWord struct {
	// s is the word with quotes and escapes resolved and every expansion
	// ("$NAME", "${NAME}", "${NAME-default}", "${NAME[*]}") kept as written.
	s string
	// key is s with each expansion enclosed in NUL bytes, so that a literal
	// "$HOME" (escaped, or outside double quotes) and an expansion of HOME
	// compare unequal. A word holds no NUL of its own (HAProxy ends a word
	// at its first NUL).
	key string
	// env reports whether the word holds an expansion.
	env bool
	// col is the 1-based byte column where the word starts.
	col int
}

// lexError is a tokenizing problem at a 1-based column.
type lexError struct {
	col    int
	detail string
}

// lexLine splits one configuration line (without its '\n') into words the
// way HAProxy 2.6 does (src/tools.c parse_line with PARSE_OPT_ENV,
// PARSE_OPT_DQUOTE, PARSE_OPT_SQUOTE, PARSE_OPT_SHARP, PARSE_OPT_BKSLASH and
// PARSE_OPT_WORD_EXPAND, after readcfgfile skipped the leading blanks):
//
//   - '\r', NUL and an unquoted '#' end the line;
//   - unquoted blanks separate words; "..." and '...' group them;
//   - a backslash outside single quotes escapes ' ', '\\', '#', '"', '\”
//     (and '$' inside double quotes) and writes \t, \n, \r and \xNN;
//   - "$NAME", "${NAME}", "${NAME-default}" and "${NAME[*]}" inside double
//     quotes are expansions, kept unexpanded here;
//   - a word ends at its first NUL byte (it is a C string in HAProxy).
//
// It also returns the text of the directive: the line from its first word to
// the end of its last one, without leading blanks, trailing blanks or
// comment. At most max words are kept; more is an error.
func lexLine(line string, max int) (words []lexWord, text string, err *lexError) {
	start := 0
	for start < len(line) && (line[start] == ' ' || line[start] == '\t' || line[start] == '\v' || line[start] == '\f') {
		start++
	}
	var (
		cur, key       []byte
		squote, dquote bool
		env            bool
		inWord         bool
		wordCol        int
		lastSig        = start // end of the last byte that belongs to a word
		quoteCol       int
	)
	flush := func() *lexError {
		if len(words) >= max {
			return &lexError{col: wordCol, detail: "too many words on one line (HAProxy reads at most " + itoa(max) + ")"}
		}
		w := lexWord{s: string(cur), key: string(key), env: env, col: wordCol}
		if i := strings.IndexByte(w.s, 0); i >= 0 {
			// HAProxy sees a C string: the word ends at the NUL. Cut
			// key at the matching place: the NUL bytes that enclose
			// expansions are not in s.
			w.s = w.s[:i]
			w.key = cutKey(w.key, i)
			w.env = strings.IndexByte(w.key, 0) >= 0
		}
		words = append(words, w)
		cur, key, env, inWord = cur[:0], key[:0], false, false
		return nil
	}
	emit := func(c byte, col int) {
		if !inWord {
			inWord, wordCol = true, col
		}
		cur = append(cur, c)
		key = append(key, c)
	}
	i := start
loop:
	for i < len(line) {
		c := line[i]
		switch {
		case c == 0 || c == '\n' || c == '\r':
			break loop
		case c == '#' && !squote && !dquote:
			break loop
		case c == '"' && !squote:
			if !inWord {
				inWord, wordCol = true, i+1
			}
			dquote = !dquote
			quoteCol = i + 1
			i++
			lastSig = i
		case c == '\'' && !dquote:
			if !inWord {
				inWord, wordCol = true, i+1
			}
			squote = !squote
			quoteCol = i + 1
			i++
			lastSig = i
		case c == '\\' && !squote:
			col := i + 1
			tosend := c
			var next byte
			if i+1 < len(line) {
				next = line[i+1]
			}
			switch next {
			case ' ', '\\', '#', '\'', '"':
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
			case '$':
				if dquote {
					tosend = next
					i++
				}
			case 'x':
				if i+3 >= len(line) || !isHex(line[i+2]) || !isHex(line[i+3]) {
					return nil, "", &lexError{col: col, detail: "invalid \\x escape"}
				}
				tosend = unhex(line[i+2])<<4 | unhex(line[i+3])
				i += 3
			}
			i++
			emit(tosend, col)
			lastSig = i
		case isBlank(c) && !squote && !dquote:
			for i < len(line) && isBlank(line[i]) {
				i++
			}
			if err := flush(); err != nil {
				return nil, "", err
			}
		case c == '$' && dquote:
			col := i + 1
			j := i + 1
			brace := j < len(line) && line[j] == '{'
			if brace {
				j++
			}
			if j >= len(line) || !(isAlpha(line[j]) || line[j] == '_' || line[j] == '.') {
				return nil, "", &lexError{col: col, detail: "invalid environment variable name after '$'"}
			}
			if line[j] == '.' {
				j++
			}
			for j < len(line) && (isAlpha(line[j]) || '0' <= line[j] && line[j] <= '9' || line[j] == '_') {
				j++
			}
			if brace {
				if strings.HasPrefix(line[j:], "[*]") {
					j += 3
				} else if j < len(line) && line[j] == '[' {
					return nil, "", &lexError{col: j + 1, detail: "only \"[*]\" may follow a variable name"}
				}
				if j < len(line) && line[j] == '-' {
					k := strings.IndexByte(line[j:], '}')
					if k < 0 || strings.ContainsAny(line[j:j+k], "\x00\r\n") {
						return nil, "", &lexError{col: col, detail: "unmatched brace in variable expansion"}
					}
					j += k
				}
				if j >= len(line) || line[j] != '}' {
					return nil, "", &lexError{col: col, detail: "unmatched brace in variable expansion"}
				}
				j++
			}
			if !inWord {
				inWord, wordCol = true, col
			}
			cur = append(cur, line[i:j]...)
			key = append(key, 0)
			key = append(key, line[i:j]...)
			key = append(key, 0)
			env = true
			i = j
			lastSig = i
		default:
			emit(c, i+1)
			i++
			lastSig = i
		}
	}
	if squote || dquote {
		return nil, "", &lexError{col: quoteCol, detail: "unmatched quote"}
	}
	// The last word counts unless it is empty (trailing blanks, or a
	// trailing "").
	if len(cur) > 0 {
		if err := flush(); err != nil {
			return nil, "", err
		}
	}
	return words, line[start:lastSig], nil
}

// cutKey returns the prefix of key that holds the first n bytes of the
// word (expansions enclosed in NUL bytes count their text only).
func cutKey(key string, n int) string {
	in := false
	for i := 0; i < len(key); i++ {
		if key[i] == 0 {
			in = !in
			continue
		}
		if n == 0 {
			if in {
				return key[:i] + "\x00"
			}
			return key[:i]
		}
		n--
	}
	return key
}

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

package haproxycfg

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

var hostile = []string{
	"plain", "a b", "a  b", " lead", "%", "%%", "%[src]", "%{+Q}o", "$HOME", "${HOME}", "$", "\"", "'", "\\",
	"\\x41", "\\n", "#", "a#b", "-i", "--", "-m", "}", "{", "||", "!", "if", "unless", "or", ",", ")", "(",
	"é", "\xff\xfe", "\x80", "a\tb", "a\nb", "a\rb", "\x01", "\x7f", "\v", "\f", "x\"; use_backend evil",
	"\"\n    server evil 1.2.3.4:80", "a\\\"b", "''", "\"\"", "str(x)", "`id`",
}

func TestQuoteWordRoundTrip(t *testing.T) {
	for _, s := range hostile {
		got, err := tokenize(string(appendWord(nil, s)), noEnv)
		if err != nil || len(got) != 1 || got[0] != s {
			t.Errorf("tokenize(appendWord(%q)) = %q, %v; want [%q]", s, got, err, s)
		}
	}
}

// every byte value, alone and around others, survives quoting
func TestQuoteEveryByte(t *testing.T) {
	for c := 1; c < 256; c++ {
		for _, s := range []string{string([]byte{byte(c)}), "a" + string([]byte{byte(c)}) + "b", string([]byte{byte(c), byte(c)})} {
			got, err := tokenize(string(appendWord(nil, s)), noEnv)
			if err != nil || len(got) != 1 || got[0] != s {
				t.Errorf("byte 0x%02x: tokenize(appendWord(%q)) = %q, %v", c, s, got, err)
			}
		}
	}
}

// A line of several quoted words splits back into exactly those words.
func TestQuoteLineProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("%$\"'#\\ \t\n\r{}-!|,()xX0a")
	for n := 0; n < 5000; n++ {
		var toks []string
		for range 1 + r.IntN(6) {
			b := make([]byte, 1+r.IntN(12))
			for i := range b {
				if r.IntN(4) == 0 {
					b[i] = byte(1 + r.IntN(255))
				} else {
					b[i] = alphabet[r.IntN(len(alphabet))]
				}
			}
			toks = append(toks, string(b))
		}
		var line []byte
		for i, s := range toks {
			if i > 0 {
				line = append(line, ' ')
			}
			line = appendWord(line, s)
		}
		got, err := tokenize(string(line), noEnv)
		if err != nil || !slices.Equal(got, toks) {
			t.Fatalf("tokenize(%q) = %q, %v; want %q", line, got, err, toks)
		}
	}
}

func TestEnvWord(t *testing.T) {
	env := func(n string) (string, bool) {
		if n == "CERTS" {
			return "/tmp/a b/c.pem", true
		}
		return "", false
	}
	for _, tc := range []struct{ in, want string }{
		{"$CERTS", "/tmp/a b/c.pem"},
		{"${CERTS}", "/tmp/a b/c.pem"},
		{"/etc/${CERTS}x", "/etc//tmp/a b/c.pemx"},
		{"a\"b", "a\"b"},
		{"/plain/path.pem", "/plain/path.pem"},
	} {
		if checkEnv(tc.in) >= 0 {
			t.Errorf("checkEnv(%q) rejected", tc.in)
		}
		got, err := tokenize(string(appendEnvWord(nil, tc.in)), env)
		if err != nil || len(got) != 1 || got[0] != tc.want {
			t.Errorf("tokenize(appendEnvWord(%q)) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"$", "a$", "$1", "${X", "${}"} {
		if checkEnv(bad) < 0 {
			t.Errorf("checkEnv(%q) = -1; want an offset", bad)
		}
	}
}

// unescapeLogFormat reads literal log-format text back: "%%" is '%', and
// any other '%' would start an expression.
func unescapeLogFormat(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			if i+1 < len(s) && s[i+1] == '%' {
				b.WriteByte('%')
				i++
				continue
			}
			return "", false
		}
		b.WriteByte(s[i])
	}
	return b.String(), true
}

func TestLogFormatEscape(t *testing.T) {
	for _, s := range hostile {
		got, ok := unescapeLogFormat(escapeLogFormat(s))
		if !ok || got != s {
			t.Errorf("log-format %q read back as %q, %v", s, got, ok)
		}
	}
}

func FuzzQuote(f *testing.F) {
	for _, s := range hostile {
		f.Add(s, "x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if strings.IndexByte(a, 0) >= 0 || strings.IndexByte(b, 0) >= 0 || a == "" || b == "" {
			// NUL ends a C string and "" vanishes: Validate refuses both
			w := writer{}
			w.begin(false)
			w.value("v", a)
			w.value("v", b)
			if (strings.IndexByte(a, 0) >= 0 || a == "") && len(w.errs) == 0 {
				t.Fatalf("value %q accepted", a)
			}
			return
		}
		line := append(appendWord(nil, a), ' ')
		line = appendWord(line, b)
		got, err := tokenize(string(line), noEnv)
		if err != nil || !slices.Equal(got, []string{a, b}) {
			t.Fatalf("tokenize(%q) = %q, %v; want [%q %q]", line, got, err, a, b)
		}
		lf, ok := unescapeLogFormat(escapeLogFormat(a))
		if !ok || lf != a {
			t.Fatalf("log-format %q read back as %q", a, lf)
		}
	})
}

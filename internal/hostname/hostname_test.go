package hostname

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Example.COM", "example.com"},
		{"example.com.", "example.com"},
		{"example.com..", "example.com."},
		{"a", "a"},
		{"", ""},
	} {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	long63 := strings.Repeat("a", 63)
	ok := []string{
		"a", "example.com", "EXAMPLE.com.", "xn--bcher-kva.example", "a-b.c0", "0.0",
		long63 + "." + long63 + "." + long63 + "." + strings.Repeat("d", 57) + ".com",
	}
	for _, s := range ok {
		if err := Validate(s); err != nil {
			t.Errorf("Validate(%q) = %v; want nil", s, err)
		}
	}
	bad := map[string]string{
		"":                               "empty name",
		".":                              "empty label",
		"a..b":                           "empty label",
		".a":                             "empty label",
		"-a.com":                         "starts with a hyphen",
		"a-.com":                         "ends with a hyphen",
		"a_b.com":                        `invalid character '_'`,
		"a b":                            `invalid character ' '`,
		"a\x00b":                         `invalid character '\x00'`,
		"bücher.example":                 "A-label",
		"*.example.com":                  `"*" is only allowed`,
		strings.Repeat("a", 64):          "label longer than 63",
		strings.Repeat("a.", 127) + "ab": "longer than 253",
	}
	for s, want := range bad {
		err := Validate(s)
		if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("Validate(%q) = %v; want error containing %q", s, err, want)
		}
	}
}

func TestPattern(t *testing.T) {
	for _, tt := range []struct {
		pat   string
		match []string
		miss  []string
	}{
		{"a.example.com", []string{"a.example.com", "A.Example.COM", "a.example.com."}, []string{"b.example.com", "example.com", "a.example.com.evil.org", ""}},
		{"*.example.com", []string{"a.example.com", "x.y.example.com", "A.EXAMPLE.COM."}, []string{"example.com", "evil-example.com", "example.com.evil.org", "aexample.com", ".example.com"}},
		{"*", []string{"a", "example.com"}, []string{""}},
	} {
		p, err := ParsePattern(tt.pat)
		if err != nil {
			t.Fatalf("ParsePattern(%q) = %v", tt.pat, err)
		}
		if p.String() != tt.pat {
			t.Errorf("ParsePattern(%q).String() = %q", tt.pat, p.String())
		}
		for _, h := range tt.match {
			if !p.Match(h) {
				t.Errorf("%q.Match(%q) = false; want true", tt.pat, h)
			}
		}
		for _, h := range tt.miss {
			if p.Match(h) {
				t.Errorf("%q.Match(%q) = true; want false", tt.pat, h)
			}
		}
	}
	for s, want := range map[string]string{
		"*.":     "empty",
		"**.a":   `start with "*."`,
		"a.*.b":  `"*" is only allowed`,
		"*.a..b": "empty label",
		"":       "empty name",
	} {
		if _, err := ParsePattern(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePattern(%q) = %v; want error containing %q", s, err, want)
		}
	}
	if p := MustParsePattern("*.Example.COM."); p.Suffix() != ".example.com" || p.Name() != "example.com" || p.Kind() != KindWildcard {
		t.Errorf("MustParsePattern(*.Example.COM.) = %v %q %q", p.Kind(), p.Suffix(), p.Name())
	}
}

func TestCovers(t *testing.T) {
	for _, tt := range []struct {
		p, q string
		want bool
	}{
		{"*", "a.b", true},
		{"*.b", "a.b", true},
		{"*.b", "*.a.b", true},
		{"*.a.b", "*.b", false},
		{"a.b", "*.b", false},
		{"a.b", "A.B", true},
		{"*.b", "*", false},
		{"*.b", "b", false},
	} {
		if got := MustParsePattern(tt.p).Covers(MustParsePattern(tt.q)); got != tt.want {
			t.Errorf("%q.Covers(%q) = %v; want %v", tt.p, tt.q, got, tt.want)
		}
	}
}

func FuzzPattern(f *testing.F) {
	for _, s := range []string{"a.example.com", "*.example.com", "*", "*.", "xn--bcher-kva.example", "A.B.", "a..b", "-a"} {
		f.Add(s, "a.example.com")
	}
	f.Fuzz(func(t *testing.T, pat, host string) {
		p, err := ParsePattern(pat)
		if err != nil {
			if p.IsValid() {
				t.Fatalf("ParsePattern(%q) returned a valid pattern with error %v", pat, err)
			}
			return
		}
		// Canonical form parses back to the same pattern.
		q, err := ParsePattern(p.String())
		if err != nil || q != p {
			t.Fatalf("ParsePattern(%q) round trip: %v %v != %v", pat, err, q, p)
		}
		if p.Kind() == KindExact {
			if !p.Match(pat) {
				t.Fatalf("%q does not match itself", pat)
			}
			if Validate(Normalize(pat)) != nil {
				t.Fatalf("normal form of %q invalid", pat)
			}
		}
		if p.Match(host) && p.Kind() == KindWildcard {
			h := strings.ToLower(strings.TrimSuffix(host, "."))
			if !strings.HasSuffix(h, p.Suffix()) || h == p.Name() {
				t.Fatalf("%q matched %q", pat, host)
			}
		}
	})
}

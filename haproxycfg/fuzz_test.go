package haproxycfg

import (
	"strings"
	"testing"
)

// fuzzProxy puts a and b everywhere a caller's value can go.
func fuzzProxy(name, a, b string) *Proxy {
	return &Proxy{Kind: ProxyFrontend, Name: name, Settings: Settings{Mode: ModeHTTP}, Binds: []Bind{{Address: "127.0.0.1:1"}},
		Stats: &StatsPage{URI: a},
		ACLs: []ACL{{Name: "p", Match: Match{Sample: Sample{Fetch: "path"}, Method: MatchBeg, Patterns: []string{a, b}}},
			{Name: "q", Match: Match{Sample: Sample{Fetch: "req.hdr", Args: []string{"host"}}, Patterns: []string{b}}}},
		HTTPRequest: []HTTPRule{
			{Action: HTTPSetHeader, Name: "X-A", Value: Text(a), Cond: &Cond{Terms: []Term{{ACL: "p"}, {Or: true, Not: true, ACL: "q"}}}},
			{Action: HTTPRedirectLocation, Value: Text(b), Status: 302, Cond: &Cond{Unless: true, Terms: []Term{{Anon: &Match{Sample: Sample{Fetch: "path"}, Patterns: []string{a}}}}}},
			{Action: HTTPReturn, Status: 200, Value: LogFormat{{Text: a}, {Expr: &Sample{Fetch: "src"}}, {Text: b}}},
		},
	}
}

// FuzzConfig: whatever Validate accepts renders into lines that HAProxy's
// tokenizer splits back into the same values.
func FuzzConfig(f *testing.F) {
	for _, s := range hostile {
		f.Add(s, "/"+s)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		c := &Config{Proxies: []*Proxy{fuzzProxy("fe", a, b)}}
		text, err := c.AppendText(nil)
		if err != nil {
			if c.Validate() == nil {
				t.Fatalf("AppendText failed but Validate passed: %v", err)
			}
			return
		}
		if strings.IndexByte(a, 0) >= 0 || controlByte(a) >= 0 || controlByte(b) >= 0 {
			t.Fatalf("control bytes accepted: %q %q", a, b)
		}
		lines := strings.Split(string(text), "\n")
		for n, line := range lines {
			ws, err := tokenize(line, noEnv)
			if err != nil {
				t.Fatalf("line %d %q: %v", n+1, line, err)
			}
			if len(ws) > MaxWords {
				t.Fatalf("line %d has %d words", n+1, len(ws))
			}
		}
		// stats uri <a>: a whole word
		want := []string{"stats", "uri", a}
		found := false
		for _, line := range lines {
			ws, _ := tokenize(line, noEnv)
			if len(ws) == 3 && ws[0] == want[0] && ws[1] == want[1] {
				found = ws[2] == a
			}
		}
		if !found {
			t.Fatalf("stats uri %q not read back", a)
		}
		// set-header value: literal text, '%' doubled
		for _, line := range lines {
			ws, _ := tokenize(line, noEnv)
			if len(ws) >= 4 && ws[1] == "set-header" {
				if got, ok := unescapeLogFormat(ws[3]); !ok || got != a {
					t.Fatalf("set-header value %q read back as %q", a, ws[3])
				}
			}
		}
	})
}

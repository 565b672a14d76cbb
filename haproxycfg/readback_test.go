package haproxycfg

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/haproxytest"
)

// httpSafe reports whether s can travel as an HTTP header value unchanged:
// no control bytes, no surrounding blanks.
func httpSafe(s string) bool {
	return s != "" && controlByte(s) < 0 && strings.TrimSpace(s) == s
}

// hostileConfig builds a frontend that sets header X-V<i> to vals[i] and
// matches the probe header against each value as an ACL pattern; GET /h<i>
// returns the header as HAProxy holds it, GET /acl returns "acl<i>" for the
// first pattern that matches X-Probe.
func hostileConfig(name, bind string, vals []string) *Proxy {
	fe := &Proxy{Kind: ProxyFrontend, Name: name, Settings: Settings{Mode: ModeHTTP}, Binds: []Bind{{Address: bind}}}
	path := func(p string) *Match {
		return &Match{Sample: Sample{Fetch: "path"}, Method: MatchStr, Patterns: []string{p}}
	}
	for i, v := range vals {
		n := strconv.Itoa(i)
		fe.ACLs = append(fe.ACLs, ACL{Name: "a" + n, Match: Match{Sample: Sample{Fetch: "req.fhdr", Args: []string{"x-probe"}}, Method: MatchStr, Patterns: []string{v}}})
		fe.HTTPRequest = append(fe.HTTPRequest, HTTPRule{Action: HTTPSetHeader, Name: "X-V" + n, Value: Text(v)})
	}
	for i := range vals {
		n := strconv.Itoa(i)
		fe.HTTPRequest = append(fe.HTTPRequest,
			HTTPRule{Action: HTTPReturn, Status: 200, Value: LogFormat{{Expr: &Sample{Fetch: "req.fhdr", Args: []string{"x-v" + n}}}},
				Cond: &Cond{Terms: []Term{{Anon: path("/h" + n)}}}},
			HTTPRule{Action: HTTPReturn, Status: 200, Value: Text("acl" + n + " 100% $HOME"),
				Cond: &Cond{Terms: []Term{{Anon: path("/acl")}, {ACL: "a" + n}}}})
	}
	fe.HTTPRequest = append(fe.HTTPRequest, HTTPRule{Action: HTTPReturn, Status: 404, Value: Text("none")})
	return fe
}

func readbackValues() []string {
	var vals []string
	for _, v := range hostile {
		if httpSafe(v) {
			vals = append(vals, v)
		}
	}
	var hi []byte
	for c := 0x80; c < 0x100; c++ {
		hi = append(hi, byte(c))
	}
	var printable []byte
	for c := 0x21; c < 0x7f; c++ {
		printable = append(printable, byte(c))
	}
	return append(vals, string(hi), string(printable), "-"+string(printable), "a "+string(printable)+" z")
}

func get(t *testing.T, port int, path, probe string) (int, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	req := "GET " + path + " HTTP/1.1\r\nHost: test\r\n"
	if probe != "" {
		req += "X-Probe: " + probe + "\r\n"
	}
	req += "Connection: close\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// Hostile header values and ACL patterns go through the writer into a
// running haproxy and come back unchanged.
func TestReadBackHAProxy(t *testing.T) {
	haproxytest.Binary(t)
	vals := readbackValues()
	port := freePorts(t, 1)[0]
	cfg := &Config{
		Defaults: []*Defaults{{Settings: Settings{Timeouts: Timeouts{Connect: 5 * time.Second, Client: 30 * time.Second, Server: 30 * time.Second}}}},
		Proxies:  []*Proxy{hostileConfig("fe_hostile", "127.0.0.1:"+strconv.Itoa(port), vals)},
	}
	text, err := cfg.AppendText(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", "/expanded-home")
	haproxytest.Check(t, string(text), nil)
	haproxytest.Start(t, string(text), nil, port)
	for i, v := range vals {
		code, body := get(t, port, "/h"+strconv.Itoa(i), "")
		if code != 200 || body != v {
			t.Errorf("set-header %q read back as %d %q", v, code, body)
		}
		code, body = get(t, port, "/acl", v)
		if want := "acl" + strconv.Itoa(i) + " 100% $HOME"; code != 200 || body != want {
			t.Errorf("ACL pattern %q: probe answered %d %q; want %q", v, code, body, want)
		}
	}
}

// randomValue returns a value with every byte HAProxy can carry in a
// configuration word (no NUL, no control bytes, no surrounding blanks).
func randomValue(r *rand.Rand) string {
	special := []byte("%$\"'#\\{}-!|,() ")
	b := make([]byte, 1+r.IntN(24))
	for i := range b {
		switch r.IntN(3) {
		case 0:
			b[i] = special[r.IntN(len(special))]
		default:
			b[i] = byte(0x20 + r.IntN(0xe0))
		}
		if b[i] == 0x7f {
			b[i] = '~'
		}
	}
	return strings.TrimSpace(string(b)) + "x"
}

// Fuzzed configurations (random hostile values, and the FuzzConfig corpus)
// pass haproxy -dW -c, and every value tokenizes back unchanged.
func TestFuzzedConfigsHAProxy(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var vals []string
	for range 300 {
		vals = append(vals, randomValue(r))
	}
	cfg := &Config{
		Defaults: []*Defaults{{Settings: Settings{Timeouts: Timeouts{Connect: 5 * time.Second, Client: 30 * time.Second, Server: 30 * time.Second}}}},
		Proxies:  []*Proxy{hostileConfig("fe_random", "127.0.0.1:1", vals)},
	}
	corpus, _ := filepath.Glob("testdata/fuzz/FuzzConfig/*")
	for i, f := range corpus {
		a, b, ok := readCorpus(t, f)
		if !ok {
			continue
		}
		if p := fuzzProxy(fmt.Sprintf("fe_corpus%d", i), a, b); p != nil {
			c := &Config{Proxies: []*Proxy{p}}
			if c.Validate() == nil {
				cfg.Proxies = append(cfg.Proxies, p)
			}
		}
	}
	text, err := cfg.AppendText(nil)
	if err != nil {
		t.Fatal(err)
	}
	checkTokens(t, string(text), vals)
	haproxytest.Check(t, string(text), nil)
}

// checkTokens tokenizes every line and finds each value as a whole word.
func checkTokens(t *testing.T, text string, vals []string) {
	t.Helper()
	words := map[string]bool{}
	for n, line := range strings.Split(text, "\n") {
		ws, err := tokenize(line, noEnv)
		if err != nil {
			t.Fatalf("line %d %q: %v", n+1, line, err)
		}
		for _, w := range ws {
			words[w] = true
		}
	}
	for _, v := range vals {
		if !words[v] {
			t.Errorf("value %q not read back as a word", v)
		}
	}
}

// readCorpus reads a two-string fuzz corpus file ("go test fuzz v1").
func readCorpus(t *testing.T, path string) (string, string, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 3 {
		return "", "", false
	}
	var out [2]string
	for i, l := range lines[1:] {
		s, ok := strings.CutPrefix(l, "string(")
		if !ok {
			return "", "", false
		}
		u, err := strconv.Unquote(strings.TrimSuffix(s, ")"))
		if err != nil {
			return "", "", false
		}
		out[i] = u
	}
	return out[0], out[1], true
}

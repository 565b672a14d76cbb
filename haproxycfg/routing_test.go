package haproxycfg

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/haproxytest"
	"github.com/drawbridge-go/drawbridge/route"
)

// HTTP routing order in real haproxy: exact hosts before wildcards, longer
// wildcards first, "*" last; longer path prefixes first; Host compared
// without port and case; never a dom match.
func TestRoutingOrderHAProxy(t *testing.T) {
	haproxytest.Binary(t)
	for _, inline := range []int{0, -1} {
		t.Run("inline="+strconv.Itoa(inline), func(t *testing.T) { testRoutingOrder(t, inline) })
	}
}

func testRoutingOrder(t *testing.T, inline int) {
	c := &route.Config{Name: "order", Edge: &route.Edge{}}
	port := freePorts(t, 1)[0]
	c.Listeners = []route.Listener{{Name: "web", Port: port, Protocol: route.HTTP, Address: "127.0.0.1"}}
	add := func(name, host, path string) {
		p := serve(t, nil, false, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, name) })
		c.Backends = append(c.Backends, route.Backend{Name: name, Servers: []route.Server{{Address: "127.0.0.1:" + strconv.Itoa(p)}}})
		c.Routes = append(c.Routes, route.Route{Name: name, Listener: "web", Hosts: []string{host}, PathPrefix: path, Backend: name})
	}
	add("any", "*", "")
	add("wild-short", "*.example.com", "")
	add("acme", "*", "/.well-known/acme-challenge/")
	add("exact", "a.example.com", "")
	add("exact-v2", "a.example.com", "/v2/")
	add("wild-long", "*.eu.example.com", "")
	add("exact-path", "x.eu.example.com", "/p")
	mapDir := t.TempDir()
	res, err := Compiler{MapDir: mapDir, MaxInlineHosts: inline}.Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Maps {
		b, _ := m.AppendText(nil)
		if err := os.WriteFile(filepath.Join(mapDir, m.Name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text, err := res.Config.AppendText(nil)
	if err != nil {
		t.Fatal(err)
	}
	inst := haproxytest.Start(t, string(text), nil, port)
	for _, tc := range []struct{ host, path, want string }{
		{"a.example.com", "/v2/x", "exact-v2"},
		{"a.example.com", "/v3", "exact"},
		{"A.Example.COM:80", "/", "exact"},
		{"x.eu.example.com", "/p/q", "exact-path"},
		{"x.eu.example.com", "/", "wild-long"},
		{"y.eu.example.com", "/", "wild-long"},
		{"z.example.com", "/", "wild-short"},
		{"z.example.com", "/.well-known/acme-challenge/t", "wild-short"},
		{"other.org", "/.well-known/acme-challenge/t", "acme"},
		{"example.com", "/", "any"},
		{"a.example.com.evil.org", "/", "any"},
		{"evilexample.com", "/", "any"},
	} {
		conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", tc.path, tc.host)
		b, _ := io.ReadAll(conn)
		conn.Close()
		if got := string(b); !strings.HasSuffix(got, "\r\n\r\n"+tc.want) {
			t.Errorf("Host %s path %s: got %q; want backend %s\n%s", tc.host, tc.path, got, tc.want, inst.Output())
		}
	}
}

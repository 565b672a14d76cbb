package haproxycfg

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/haproxytest"
	"github.com/drawbridge-go/drawbridge/route"
)

// TestEndToEndIPPolicy runs the edge of a configuration with IP policies
// in real HAProxy on loopback and connects from several loopback
// addresses: the listener's allowlist refuses 127.0.0.2 before any byte
// is read, and passes 127.0.0.1 and 127.0.0.3; the admin route's denylist
// answers 127.0.0.3 with 403 on that route only.
func TestEndToEndIPPolicy(t *testing.T) {
	haproxytest.Binary(t)
	backend := serve(t, nil, false, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "backend "+r.Host)
	})
	port := haproxytest.FreePort(t)
	c := &route.Config{
		Edge: &route.Edge{},
		Listeners: []route.Listener{{Name: "web", Port: port, Protocol: route.HTTP, Address: "127.0.0.1",
			IPPolicy: &route.IPPolicy{Allow: []string{"127.0.0.1", "127.0.0.3/32"}}}},
		Routes: []route.Route{
			{Name: "all", Listener: "web", Hosts: []string{"*"}, Backend: "app"},
			{Name: "admin", Listener: "web", Hosts: []string{"admin.test"}, Backend: "app", IPPolicy: &route.IPPolicy{Deny: []string{"127.0.0.3"}}},
		},
		Backends: []route.Backend{{Name: "app", Servers: []route.Server{{Address: "127.0.0.1:" + strconv.Itoa(backend)}}}},
	}
	res, err := Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	text, err := res.Config.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	inst := haproxytest.Start(t, string(text), nil, port)
	for _, tc := range []struct {
		from, host string
		status     int // 0: the connection is closed without an answer
	}{
		{"127.0.0.1", "a.test", 200},
		{"127.0.0.1", "admin.test", 200},
		{"127.0.0.2", "a.test", 0},
		{"127.0.0.2", "admin.test", 0},
		{"127.0.0.3", "a.test", 200},
		{"127.0.0.3", "admin.test", 403},
	} {
		status, body := getFrom(t, tc.from, port, tc.host)
		if status != tc.status {
			t.Errorf("GET %s from %s = %d %q; want %d\nhaproxy.cfg:\n%s\nhaproxy output:\n%s", tc.host, tc.from, status, body, tc.status, text, inst.Output())
		}
	}
}

// getFrom sends one GET for host to 127.0.0.1:port from local address
// from, and returns the status (0 when the connection closes first).
func getFrom(t *testing.T, from string, port int, host string) (int, string) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return 0, err.Error()
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host); err != nil {
		return 0, err.Error()
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

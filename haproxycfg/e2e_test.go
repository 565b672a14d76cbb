package haproxycfg

import (
	"bufio"
	"crypto/tls"
	"encoding/csv"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/haproxytest"
	"github.com/drawbridge-go/drawbridge/proxyproto"
	"github.com/drawbridge-go/drawbridge/route"
)

// serve runs handler on 127.0.0.1 behind our proxyproto.Listener (the edge
// must send a PROXY header) and, with cert, TLS. It returns the port.
func serve(t *testing.T, cert *tls.Certificate, proxy bool, handler http.HandlerFunc) int {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var ln net.Listener = raw
	if proxy {
		ln = &proxyproto.Listener{Listener: raw, Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	}
	if cert != nil {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*cert}})
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return raw.Addr().(*net.TCPAddr).Port
}

// roundTrip sends one GET over c and returns the response body.
func roundTrip(t *testing.T, c net.Conn, host string) string {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	return string(b)
}

// showStat returns "proxy/server" -> check_status from the runtime API.
func showStat(t *testing.T, sock string) map[string]string {
	t.Helper()
	c, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		return nil
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	_, _ = io.WriteString(c, "show stat\n")
	data, _ := io.ReadAll(c)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(data), "# "))).ReadAll()
	if err != nil || len(recs) < 1 {
		return nil
	}
	col := -1
	for i, h := range recs[0] {
		if h == "check_status" {
			col = i
		}
	}
	out := map[string]string{}
	for _, r := range recs[1:] {
		if col >= 0 && col < len(r) {
			out[r[0]+"/"+r[1]] = r[col]
		}
	}
	return out
}

// A route model compiled and run in real HAProxy in front of Go servers:
// SNI passthrough by name (through a map file), unknown names refused, TLS
// terminated at the edge for one name, Host and SNI rewritten on
// re-encryption, L7OK health checks through check-sni, and the client
// address decoded from send-proxy-v2 by our proxyproto.Listener.
func TestEndToEnd(t *testing.T) {
	haproxytest.Binary(t)
	t.Run("map", func(t *testing.T) { testEndToEnd(t, -1) })
	t.Run("inline", func(t *testing.T) { testEndToEnd(t, 0) })
}

func testEndToEnd(t *testing.T, maxInline int) {
	dir := t.TempDir()
	gwCert := newTestCert(t, dir, "gw.test", "a.test", "A.Test", "*.w.test", "*.x.w.test")
	edgeCert := newTestCert(t, dir, "b.test")

	gwPort := serve(t, &gwCert.Cert, true, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			if r.TLS.ServerName == "" || r.Host != r.TLS.ServerName {
				http.Error(w, "no SNI", http.StatusMisdirectedRequest)
				return
			}
			_, _ = io.WriteString(w, "ok")
			return
		}
		fmt.Fprintf(w, "gateway sni=%s host=%s remote=%s", r.TLS.ServerName, r.Host, r.RemoteAddr)
	})
	bPort := serve(t, nil, false, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "b host=%s xff=%s", r.Host, r.Header.Get("X-Forwarded-For"))
	})
	ports := freePorts(t, 3)
	tlsPort, httpPort := ports[0], ports[1]
	sock := filepath.Join(dir, "stats.sock")
	c := &route.Config{
		Name: fmt.Sprintf("e2e%d-%d", os.Getpid(), maxInline+1),
		Edge: &route.Edge{
			ForwardFor: true,
			Process:    &route.Process{StatsSocket: sock},
		},
		Gateway: &route.Gateway{
			Addresses:     []string{"127.0.0.1"},
			HTTPPort:      ports[2],
			HTTPSPort:     gwPort,
			ProxyProtocol: route.GatewayProxyNative,
			TLS:           &route.OriginateTLS{CAFile: gwCert.CAFile},
			HealthCheck:   &route.HealthCheck{Path: "/healthz", Interval: route.Duration(100 * time.Millisecond)},
		},
		Listeners: []route.Listener{
			{Name: "tls", Port: tlsPort, Protocol: route.TLS, Address: "127.0.0.1",
				TLS: &route.ListenerTLS{Certificates: []string{edgeCert.PEMFile}, StrictSNI: true}},
			{Name: "http", Port: httpPort, Protocol: route.HTTP, Address: "127.0.0.1"},
		},
		Routes: []route.Route{
			{Name: "a", Listener: "tls", Hosts: []string{"a.test"}, TerminateAt: route.TierGateway, Credential: "a-cred", Backend: "svc"},
			{Name: "w", Listener: "tls", Hosts: []string{"*.w.test"}, TerminateAt: route.TierBackend, Backend: "svc"},
			{Name: "b", Listener: "tls", Hosts: []string{"b.test"}, TerminateAt: route.TierEdge, Backend: "local-b"},
			{Name: "re", Listener: "http", Hosts: []string{"*"}, TerminateAt: route.TierGateway, GatewayHost: "gw.test", Credential: "gw-cred", Backend: "svc"},
		},
		Backends: []route.Backend{
			{Name: "svc", Service: &route.Service{Host: "svc.default.svc.cluster.local", Port: 8080}},
			{Name: "local-b", Servers: []route.Server{{Address: "127.0.0.1:" + strconv.Itoa(bPort)}}},
		},
	}
	mapDir := t.TempDir()
	res, err := Compiler{MapDir: mapDir, MaxInlineHosts: maxInline}.Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	if (len(res.Maps) > 0) != (maxInline < 0) {
		t.Fatalf("MaxInlineHosts %d produced %d map files", maxInline, len(res.Maps))
	}
	for _, m := range res.Maps {
		b, err := m.AppendText(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(mapDir, m.Name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text, err := res.Config.AppendText(nil)
	if err != nil {
		t.Fatal(err)
	}
	haproxytest.Check(t, string(text), nil)
	inst := haproxytest.Start(t, string(text), nil, tlsPort, httpPort)
	defer func() {
		if t.Failed() {
			t.Logf("config:\n%s\nhaproxy output:\n%s", text, inst.Output())
		}
	}()

	dialTLS := func(name string, pool *tls.Config) (*tls.Conn, error) {
		cfg := pool.Clone()
		cfg.ServerName = name
		cfg.NextProtos = []string{"http/1.1"}
		d := &net.Dialer{Timeout: 5 * time.Second}
		return tls.DialWithDialer(d, "tcp", "127.0.0.1:"+strconv.Itoa(tlsPort), cfg)
	}
	gwTLS := &tls.Config{RootCAs: gwCert.Pool}
	edgeTLS := &tls.Config{RootCAs: edgeCert.Pool}

	t.Run("passthrough", func(t *testing.T) {
		for _, name := range []string{"a.test", "A.Test", "x.w.test", "deep.x.w.test"} {
			conn, err := dialTLS(name, gwTLS)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			body := roundTrip(t, conn, name)
			want := fmt.Sprintf("gateway sni=%s host=%s remote=%s", name, name, conn.LocalAddr())
			if body != want {
				t.Errorf("%s: got %q; want %q", name, body, want)
			}
			conn.Close()
		}
	})
	t.Run("unknown-sni-refused", func(t *testing.T) {
		for _, name := range []string{"unknown.test", "w.test", "a.test.evil.org", "xa.test"} {
			conn, err := dialTLS(name, &tls.Config{InsecureSkipVerify: true})
			if err == nil {
				conn.Close()
				t.Errorf("%s: handshake succeeded; want refused", name)
			}
		}
	})
	t.Run("edge-terminated", func(t *testing.T) {
		conn, err := dialTLS("b.test", edgeTLS)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		client, _, _ := net.SplitHostPort(conn.LocalAddr().String())
		if body, want := roundTrip(t, conn, "b.test"), "b host=b.test xff="+client; body != want {
			t.Errorf("got %q; want %q", body, want)
		}
	})
	t.Run("reencrypt", func(t *testing.T) {
		conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(httpPort), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		body := roundTrip(t, conn, "client.example")
		if want := "gateway sni=gw.test host=gw.test remote=" + conn.LocalAddr().String(); body != want {
			t.Errorf("got %q; want %q", body, want)
		}
	})
	t.Run("health-L7OK", func(t *testing.T) {
		deadline := time.Now().Add(10 * time.Second)
		var st map[string]string
		for time.Now().Before(deadline) {
			st = showStat(t, sock)
			ok := 0
			for k, v := range st {
				if strings.HasPrefix(k, "rt_re/") || strings.HasPrefix(k, "gw_tcp_") {
					if v == "L7OK" {
						ok++
					}
				}
			}
			if ok == 2 {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("check status: %v; want L7OK for rt_re/gw1 and gw_tcp_%d/gw1", st, gwPort)
	})
}

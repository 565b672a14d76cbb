package proxy_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"

	"github.com/drawbridge-go/drawbridge/proxy"
	"github.com/drawbridge-go/drawbridge/proxyproto"
	"github.com/drawbridge-go/drawbridge/route"
	"github.com/drawbridge-go/drawbridge/sni"
)

// A router sends app.example.com to a backend with a PROXY v2 header, and
// closes connections for every other name.
func Example() {
	backend, roots, stop := startBackend()
	defer stop()

	// The router.
	routes := map[string]string{"app.example.com": backend}
	srv := &proxy.Server{Route: func(h *sni.Hello) (proxy.Target, bool) {
		addr, ok := routes[h.ServerName()]
		return proxy.Target{Addrs: []string{addr}, Proxy: 2}, ok
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())

	fmt.Println(get(ln.Addr().String(), "app.example.com", roots))
	fmt.Println(get(ln.Addr().String(), "other.example.com", roots))
	// Output:
	// hello app.example.com from 127.0.0.1
	// EOF
}

// Routes come from a route file: TableRoute matches the hello in the
// listener's table and sends it where the plan sends the route.
func ExampleTableRoute() {
	backend, roots, stop := startBackend()
	defer stop()

	cfg, err := route.Load(strings.NewReader(`
name: edge
edge: {}
listeners:
- {name: tls, port: 443, protocol: TLS}
routes:
- {name: apps, listener: tls, hosts: ["*.example.com"], terminateAt: backend, backend: apps}
backends:
- {name: apps, proxyProtocol: v2, servers: [{address: "` + backend + `"}]}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	plan, err := cfg.Plan()
	if err != nil {
		fmt.Println(err)
		return
	}
	table, err := cfg.Table("tls")
	if err != nil {
		fmt.Println(err)
		return
	}
	routes, err := proxy.TableRoute(table, plan)
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := &proxy.Server{Route: routes}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())

	fmt.Println(get(ln.Addr().String(), "www.example.com", roots))
	fmt.Println(get(ln.Addr().String(), "example.org", roots))
	// Output:
	// hello www.example.com from 127.0.0.1
	// EOF
}

// startBackend starts an HTTPS server on loopback behind a
// proxyproto.Listener that requires a PROXY header from loopback peers, so
// that a request reaching it came with one. It answers with the server
// name and the client address of the header.
func startBackend() (addr string, roots *x509.CertPool, stop func()) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, _ := netip.ParseAddrPort(r.RemoteAddr)
		fmt.Fprintf(w, "hello %s from %s", r.TLS.ServerName, client.Addr())
	}))
	srv.Listener = &proxyproto.Listener{Listener: srv.Listener,
		Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	srv.StartTLS()
	roots = x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	return srv.Listener.Addr().String(), roots, srv.Close
}

// get requests https://name/ through the proxy at proxyAddr with a
// crypto/tls client, and returns the body or the error.
func get(proxyAddr, name string, roots *x509.CertPool) string {
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, proxyAddr)
		},
	}}
	defer client.CloseIdleConnections()
	resp, err := client.Get("https://" + name + "/")
	if err != nil {
		return strings.TrimPrefix(err.Error(), `Get "https://`+name+`/": `)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err.Error()
	}
	return string(body)
}

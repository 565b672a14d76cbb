package drawbridge_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	networking "istio.io/api/networking/v1"

	"github.com/drawbridge-go/drawbridge/haproxycfg"
	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/proxy"
	"github.com/drawbridge-go/drawbridge/proxyproto"
	"github.com/drawbridge-go/drawbridge/route"
	"github.com/drawbridge-go/drawbridge/sni"
)

// The functions of this file are the README's code samples, character for
// character (TestReadmeSamples keeps them so): change one, change both.

// A custom SNI router: app.example.com goes to a backend with a PROXY v2
// header carrying the client's address; every other name is closed. The
// backend is an HTTPS server behind a proxyproto.Listener, so the answer
// shows the name it was reached by and the address the header gave it.
func Example_router() {
	backend := startBackend() // an HTTPS server that requires a PROXY header
	defer backend.Close()

	srv := &proxy.Server{Route: func(h *sni.Hello) (proxy.Target, bool) {
		if h.ServerName() == "app.example.com" {
			return proxy.Target{Addrs: []string{backend.Addr}, Proxy: 2}, true
		}
		return proxy.Target{}, false // closes the connection
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())

	fmt.Println(backend.GetThrough(ln.Addr(), "app.example.com"))
	fmt.Println(backend.GetThrough(ln.Addr(), "other.example.com"))
	// Output:
	// hello app.example.com from 127.0.0.1
	// EOF
}

func TestShopEdge(t *testing.T) {
	cfg := &route.Config{
		Name:      "shop",
		Edge:      &route.Edge{},
		Gateway:   &route.Gateway{Addresses: []string{"10.0.0.10"}, ProxyProtocol: route.GatewayProxyNative},
		Listeners: []route.Listener{{Name: "tls", Port: 443, Protocol: route.TLS}},
		Routes: []route.Route{{Name: "shop", Listener: "tls", Hosts: []string{"shop.example.com"},
			TerminateAt: route.TierGateway, Credential: "shop-cert", Backend: "web"}},
		Backends: []route.Backend{{Name: "web",
			Service: &route.Service{Host: "web.shop.svc.cluster.local", Port: 8080}}},
	}
	plan, err := cfg.Plan()
	if err != nil {
		t.Fatal(err)
	}
	edge, err := haproxycfg.Compiler{}.CompilePlan(plan)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := istiocfg.CompilePlan(plan)
	if err != nil {
		t.Fatal(err)
	}

	// HAProxy passes TLS through to the gateway with a PROXY v2 header...
	for _, s := range edge.Config.Proxy("gw_tcp_443").Servers {
		if !s.SendProxyV2 || s.SSL {
			t.Errorf("edge server %s: send-proxy-v2 %v, ssl %v", s.Name, s.SendProxyV2, s.SSL)
		}
	}
	// ...the gateway pods expect the header...
	if !strings.Contains(gw.GatewayPodAnnotations[istiocfg.ProxyConfigAnnotation], "proxyProtocol") {
		t.Error("the gateway does not expect a PROXY header")
	}
	// ...and the Gateway terminates TLS with the shop's certificate.
	obj, _ := gw.Find(istiocfg.KindGateway, "shop")
	for _, s := range obj.Spec.(*networking.Gateway).GetServers() {
		if s.GetTls().GetCredentialName() != "shop-cert" {
			t.Errorf("Gateway port %d: credential %q", s.GetPort().GetNumber(), s.GetTls().GetCredentialName())
		}
	}
}

// backend is an HTTPS server on loopback behind a proxyproto.Listener that
// requires a PROXY header from loopback peers, so that a request reaching it
// came with one. It answers with the server name and the client address of
// the header.
type backend struct {
	*httptest.Server
	Addr  string
	roots *x509.CertPool
}

func startBackend() *backend {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, _ := netip.ParseAddrPort(r.RemoteAddr)
		fmt.Fprintf(w, "hello %s from %s", r.TLS.ServerName, client.Addr())
	}))
	srv.Listener = &proxyproto.Listener{Listener: srv.Listener,
		Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	srv.StartTLS()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	return &backend{Server: srv, Addr: srv.Listener.Addr().String(), roots: roots}
}

// GetThrough requests https://name/ through the proxy at proxyAddr with a
// crypto/tls client that trusts the backend's certificate, and returns the
// body or the error.
func (b *backend) GetThrough(proxyAddr net.Addr, name string) string {
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: b.roots},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, proxyAddr.String())
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

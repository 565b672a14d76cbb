// Command sniproxy is a small SNI router built from drawbridge: it reads the
// ClientHello of each TLS connection without decrypting it (package sni),
// finds the route for its server name (route.Table), connects to one of the
// route's static servers, sends a PROXY protocol v2 header carrying the
// client's address and the server name (package proxyproto) together with
// the hello, and copies bytes both ways, splicing bulk flows.
//
//	sniproxy -listen :443 -route 'app.example.com=10.0.0.10:8443' -route '*.example.com=10.0.0.11:8443'
//	sniproxy -routes edge.yaml -listener tls -admin 127.0.0.1:9100
//
// SIGTERM or SIGINT stops accepting and lets open sessions finish for up to
// -drain-timeout before closing them.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/drawbridge-go/drawbridge/proxyproto"
	"github.com/drawbridge-go/drawbridge/route"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "sniproxy:", err)
		os.Exit(1)
	}
}

// run parses args, serves until ctx ends, then drains. ready, when not nil,
// is called with the proxy's and the admin listener's addresses (nil without -admin).
func run(ctx context.Context, args []string, stderr io.Writer, ready func(proxy, admin net.Addr)) error {
	fs := flag.NewFlagSet("sniproxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "", "`address` to listen on (default: the -routes listener's, else :8443)")
	file := fs.String("routes", "", "route `file` (YAML): a TLS listener's routes to static servers")
	lname := fs.String("listener", "", "listener of -routes to serve (default: the first TLS listener)")
	var flagRoutes []string
	fs.Func("route", "`host=ip:port[,ip:port]`: send SNI host (exact, *.suffix or *) to these servers (repeatable)",
		func(s string) error { flagRoutes = append(flagRoutes, s); return nil })
	accept := fs.String("accept-proxy", "", "comma-separated `CIDRs` of load balancers that must send a PROXY header (others are refused)")
	send := fs.String("send-proxy", "v2", "PROXY header sent to -route servers: v2, v1 or none")
	hello := fs.Duration("hello-timeout", 5*time.Second, "time a client has to send its ClientHello")
	idle := fs.Duration("idle-timeout", 5*time.Minute, "close sessions idle both ways this long (0: never)")
	dial := fs.Duration("dial-timeout", 5*time.Second, "time to connect to a server")
	maxConns := fs.Int("max-conns", 10000, "concurrent connections; more wait in the listen backlog")
	drain := fs.Duration("drain-timeout", 30*time.Second, "on SIGTERM, time open sessions have to finish")
	admin := fs.String("admin", "", "`address` serving Prometheus counters on /metrics (default: none)")
	var level slog.Level
	fs.TextVar(&level, "log-level", slog.LevelInfo, "debug, info (one line per session), warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *maxConns < 1 {
		return errors.New("-max-conns must be at least 1")
	}

	var routes []route.Route
	servers := map[string][]string{} // by route name
	proxies := map[string]route.ProxyProtocol{}
	addr := ":8443"
	switch {
	case (*file == "") == (len(flagRoutes) == 0):
		return errors.New("give either -routes or at least one -route")
	case *file != "":
		cfg, l, err := loadFile(*file, *lname)
		if err != nil {
			return err
		}
		addr = net.JoinHostPort(l.Address, strconv.Itoa(l.Port))
		if l.AcceptProxy && *accept == "" {
			return fmt.Errorf("listener %q accepts PROXY headers: give -accept-proxy", l.Name)
		}
		for _, r := range cfg.Routes {
			if r.Listener != l.Name {
				continue
			}
			if r.TerminateAt == route.TierEdge {
				return fmt.Errorf("route %q: sniproxy passes TLS through; it cannot terminate it", r.Name)
			}
			b, _ := cfg.BackendByName(r.Backend)
			switch {
			case b == nil:
				return fmt.Errorf("route %q: sniproxy needs one backend, not a split", r.Name)
			case cfg.BehindGateway(b) && cfg.Gateway != nil: // through the gateway tier
				for _, a := range cfg.Gateway.Addresses {
					servers[r.Name] = append(servers[r.Name], net.JoinHostPort(a, strconv.Itoa(cfg.GatewayPort(&r))))
				}
				if cfg.EdgeSendsProxy() {
					proxies[r.Name] = route.ProxyV2
				}
			default:
				for _, s := range b.Servers {
					servers[r.Name] = append(servers[r.Name], s.Address)
				}
				proxies[r.Name] = b.ProxyProtocol
			}
			routes = append(routes, r)
		}
	default:
		pp := route.ProxyProtocol(*send)
		if pp == "none" {
			pp = route.ProxyNone
		} else if pp != route.ProxyV1 && pp != route.ProxyV2 {
			return fmt.Errorf("-send-proxy %q: want v2, v1 or none", *send)
		}
		for i, s := range flagRoutes {
			host, list, ok := strings.Cut(s, "=")
			if !ok {
				return fmt.Errorf("-route %q: want host=ip:port", s)
			}
			name := "route" + strconv.Itoa(i)
			routes = append(routes, route.Route{Name: name, Hosts: []string{host}, Backend: name})
			servers[name], proxies[name] = strings.Split(list, ","), pp
		}
	}
	if *listen != "" {
		addr = *listen
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	p, err := newProxy(routes, servers, proxies, log)
	if err != nil {
		return err
	}
	p.hello, p.idle, p.dialer.Timeout, p.slots = *hello, *idle, *dial, make(chan struct{}, *maxConns)

	lc := net.ListenConfig{KeepAlive: -1} // no keepalive setsockopt calls per connection
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	if *accept != "" {
		pl := &proxyproto.Listener{Listener: ln, HeaderTimeout: *hello, Logger: log}
		for c := range strings.SplitSeq(*accept, ",") {
			pfx, err := netip.ParsePrefix(strings.TrimSpace(c))
			if err != nil {
				ln.Close()
				return fmt.Errorf("-accept-proxy: %w", err)
			}
			pl.Trusted = append(pl.Trusted, pfx)
		}
		ln = pl
	}
	var adminAddr net.Addr
	if *admin != "" {
		aln, err := lc.Listen(ctx, "tcp", *admin)
		if err != nil {
			ln.Close()
			return err
		}
		adminAddr = aln.Addr()
		mux := http.NewServeMux()
		mux.HandleFunc("GET /metrics", p.metrics)
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(aln)
		defer srv.Close()
	}
	log.Info("listening", "addr", ln.Addr().String(), "routes", p.table.Len())
	if ready != nil {
		ready(ln.Addr(), adminAddr)
	}

	errc := make(chan error, 1)
	go func() { errc <- p.serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	ln.Close()
	<-errc
	log.Info("draining", "active", p.m.active.Load(), "timeout", drain.String())
	if !p.wait(*drain) {
		log.Warn("drain timed out, closing sessions", "active", p.m.active.Load())
		p.closeAll()
		p.wait(10 * time.Second)
	}
	return nil
}

// loadFile reads and validates a route file and finds the listener to serve.
func loadFile(name, listener string) (*route.Config, *route.Listener, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	cfg, err := route.Load(bufio.NewReader(f))
	if err != nil {
		return nil, nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	for i := range cfg.Listeners {
		l := &cfg.Listeners[i]
		if (listener == "" && l.Protocol == route.TLS) || l.Name == listener {
			if l.Protocol != route.TLS {
				return nil, nil, fmt.Errorf("listener %q is %s, not TLS", l.Name, l.Protocol)
			}
			return cfg, l, nil
		}
	}
	return nil, nil, fmt.Errorf("%s: no TLS listener %q", name, listener)
}

// newProxy builds the routing table and resolves every server once.
func newProxy(routes []route.Route, servers map[string][]string, proxies map[string]route.ProxyProtocol, log *slog.Logger) (*proxy, error) {
	table, err := route.NewTable(routes)
	if err != nil {
		return nil, err
	}
	p := &proxy{table: table, backends: map[string]*backend{}, log: log, conns: map[net.Conn]struct{}{},
		hello: 5 * time.Second, slots: make(chan struct{}, 10000)}
	p.dialer.KeepAlive = -1
	p.readers.New = func() any { return bufio.NewReaderSize(nil, 4096) }
	p.bufs.New = func() any { b := make([]byte, copyBufSize); return &b }
	for _, r := range routes {
		b := &backend{name: r.Backend, proxy: proxies[r.Name]}
		for _, s := range servers[r.Name] {
			a, err := net.ResolveTCPAddr("tcp", s)
			if err != nil {
				return nil, fmt.Errorf("route %q: %w", r.Name, err)
			}
			b.servers = append(b.servers, netip.AddrPortFrom(a.AddrPort().Addr().Unmap(), a.AddrPort().Port()))
		}
		if len(b.servers) == 0 {
			return nil, fmt.Errorf("route %q: backend %q has no servers", r.Name, r.Backend)
		}
		p.backends[r.Name] = b
	}
	return p, nil
}

// wait reports whether every session ended within d.
func (p *proxy) wait(d time.Duration) bool {
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// metrics serves the counters in the Prometheus text format.
func (p *proxy) metrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	m := &p.m
	for _, c := range []struct {
		name, help, kind string
		v                int64
	}{
		{"sniproxy_connections_accepted_total", "Client connections accepted.", "counter", m.accepted.Load()},
		{"sniproxy_connections_active", "Client connections open now.", "gauge", m.active.Load()},
		{"sniproxy_sessions_total", "Sessions proxied to a server and ended.", "counter", m.sessions.Load()},
		{"sniproxy_sessions_idle_closed_total", "Sessions closed by the idle timeout.", "counter", m.idleClosed.Load()},
		{`sniproxy_refused_total{reason="hello"}`, "Connections refused.", "counter", m.badHello.Load()},
		{`sniproxy_refused_total{reason="no_route"}`, "", "", m.noRoute.Load()},
		{`sniproxy_refused_total{reason="dial"}`, "", "", m.dialErrors.Load()},
		{`sniproxy_bytes_total{direction="up"}`, "Bytes copied, client to server (hello included) and back.", "counter", m.bytesUp.Load()},
		{`sniproxy_bytes_total{direction="down"}`, "", "", m.bytesDown.Load()},
	} {
		if c.help != "" {
			name, _, _ := strings.Cut(c.name, "{")
			fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, c.help, name, c.kind)
		}
		fmt.Fprintf(w, "%s %d\n", c.name, c.v)
	}
}

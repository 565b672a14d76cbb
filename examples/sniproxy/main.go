// Command sniproxy is a small SNI router built from drawbridge: it reads the
// ClientHello of each TLS connection without decrypting it (package sni),
// finds the route for its server name (route.Table), connects to one of the
// route's servers, sends a PROXY protocol v2 header carrying the client's
// address and the server name (package proxyproto) together with the hello,
// and copies bytes both ways, splicing bulk flows.
//
//	sniproxy -listen :443 -route 'app.example.com=10.0.0.10:8443' -route '*.example.com=10.0.0.11:8443'
//	sniproxy -routes edge.yaml -accept-proxy 10.0.0.0/8 -admin 127.0.0.1:9100
//
// A route file's TLS listener gives the address and the routes; routes that
// pass TLS through to the gateway tier go to the gateway's addresses (with
// PROXY v2 when the gateway accepts it), routes to static servers to those.
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
	"sync/atomic"
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
// gets the proxy's and the admin listener's addresses (nil without -admin).
func run(ctx context.Context, args []string, stderr io.Writer, ready func(proxy, admin net.Addr)) error {
	fs := flag.NewFlagSet("sniproxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "", "`address` to listen on (default: the -routes listener's, else :8443)")
	file := fs.String("routes", "", "route `file` (YAML): serve a TLS listener's pass-through routes")
	lname := fs.String("listener", "", "listener of -routes to serve (default: the first TLS listener)")
	var flagRoutes []string
	fs.Func("route", "`host=ip:port[,ip:port]`: send SNI host (exact, *.suffix or *) to servers (repeatable)",
		func(s string) error { flagRoutes = append(flagRoutes, s); return nil })
	accept := fs.String("accept-proxy", "", "comma-separated `CIDRs` of load balancers that must send a PROXY header; others are refused")
	send := fs.String("send-proxy", "v2", "PROXY header sent to -route servers: v2, v1 or none")
	hello := fs.Duration("hello-timeout", 5*time.Second, "time a client has to send its ClientHello")
	idle := fs.Duration("idle-timeout", 5*time.Minute, "close sessions idle both ways this long, up to twice (0: never)")
	dial := fs.Duration("dial-timeout", 5*time.Second, "time to connect to a server")
	maxConns := fs.Int("max-conns", 10000, "concurrent connections; more wait in the listen backlog")
	drain := fs.Duration("drain-timeout", 30*time.Second, "on SIGTERM, time open sessions have to finish")
	admin := fs.String("admin", "", "`address` serving Prometheus counters on /metrics (default: none)")
	var level slog.Level
	fs.TextVar(&level, "log-level", slog.LevelInfo, "debug, info (a line per session), warn (refusals) or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	p := &proxy{backends: map[string]*backend{}, log: log, conns: map[net.Conn]struct{}{}, hello: *hello,
		idle: *idle, slots: make(chan struct{}, max(*maxConns, 1)), work: make(chan net.Conn)}
	p.dialer.Timeout, p.dialer.KeepAlive = *dial, -1 // no keepalive setsockopt calls per connection
	p.readers.New = func() any { return bufio.NewReaderSize(nil, 4096) }
	p.bufs.New = func() any { b := make([]byte, copyBuf); return &b }

	var routes []route.Route
	addr := ":8443"
	if (*file == "") == (len(flagRoutes) == 0) {
		return errors.New("give either -routes or at least one -route")
	} else if *file != "" {
		cfg, l, err := loadFile(*file, *lname)
		if err != nil {
			return err
		}
		if addr = net.JoinHostPort(l.Address, strconv.Itoa(l.Port)); l.AcceptProxy && *accept == "" {
			return fmt.Errorf("listener %q expects PROXY headers: give -accept-proxy", l.Name)
		}
		for _, r := range cfg.Routes {
			b, _ := cfg.BackendByName(r.Backend)
			switch {
			case r.Listener != l.Name:
				continue
			case r.TerminateAt == route.TierEdge || b == nil:
				return fmt.Errorf("route %q: sniproxy passes TLS through to one backend", r.Name)
			case cfg.BehindGateway(b) && cfg.Gateway != nil: // to the gateway tier
				be := &backend{name: r.Backend}
				for _, a := range cfg.Gateway.Addresses {
					be.servers = append(be.servers, net.JoinHostPort(a, strconv.Itoa(cfg.GatewayPort(&r))))
				}
				if cfg.EdgeSendsProxy() {
					be.proxy = route.ProxyV2
				}
				p.backends[r.Name] = be
			default:
				p.backends[r.Name] = &backend{name: r.Backend, proxy: b.ProxyProtocol}
				for _, s := range b.Servers {
					p.backends[r.Name].servers = append(p.backends[r.Name].servers, s.Address)
				}
			}
			routes = append(routes, r)
		}
	} else {
		pp := map[string]route.ProxyProtocol{"v2": route.ProxyV2, "v1": route.ProxyV1, "none": route.ProxyNone}[*send]
		if pp == "" && *send != "none" {
			return fmt.Errorf("-send-proxy %q: want v2, v1 or none", *send)
		}
		for i, s := range flagRoutes {
			host, list, ok := strings.Cut(s, "=")
			if !ok {
				return fmt.Errorf("-route %q: want host=ip:port", s)
			}
			name := "route" + strconv.Itoa(i)
			routes = append(routes, route.Route{Name: name, Hosts: []string{host}, Backend: name})
			p.backends[name] = &backend{name: host, servers: strings.Split(list, ","), proxy: pp}
		}
	}
	var err error
	if p.table, err = route.NewTable(routes); err != nil {
		return err
	}
	for name, be := range p.backends { // resolve once
		for i, s := range be.servers {
			a, err := net.ResolveTCPAddr("tcp", s)
			if err != nil {
				return fmt.Errorf("route %q: %w", name, err)
			}
			be.servers[i] = netip.AddrPortFrom(a.AddrPort().Addr().Unmap(), a.AddrPort().Port()).String()
		}
		if len(be.servers) == 0 {
			return fmt.Errorf("route %q: no servers", name)
		}
	}
	if *listen != "" {
		addr = *listen
	}
	lc := net.ListenConfig{KeepAlive: -1}
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
		srv := &http.Server{Handler: http.HandlerFunc(p.metrics), ReadHeaderTimeout: 5 * time.Second}
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
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(*drain):
		log.Warn("drain timed out, closing sessions", "active", p.m.active.Load())
		p.mu.Lock()
		for c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		<-done
	}
	return nil
}

// loadFile reads and validates a route file and finds the listener to serve.
func loadFile(name, listener string) (*route.Config, *route.Listener, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := route.Parse(data)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		return nil, nil, err
	}
	for i, l := range cfg.Listeners {
		if l.Protocol == route.TLS && (listener == "" || l.Name == listener) {
			return cfg, &cfg.Listeners[i], nil
		}
	}
	return nil, nil, fmt.Errorf("%s: no TLS listener %q", name, listener)
}

// metrics serves the counters in the Prometheus text format.
func (p *proxy) metrics(w http.ResponseWriter, _ *http.Request) {
	m := &p.m
	for _, c := range []struct {
		name string
		v    *atomic.Int64
	}{{"connections_accepted_total", &m.accepted}, {"connections_active", &m.active}, {"sessions_total", &m.sessions},
		{"sessions_idle_closed_total", &m.idleClosed}, {`refused_total{reason="hello"}`, &m.badHello},
		{`refused_total{reason="no_route"}`, &m.noRoute}, {`refused_total{reason="dial"}`, &m.dialErr},
		{`bytes_total{direction="up"}`, &m.up}, {`bytes_total{direction="down"}`, &m.down}} {
		fmt.Fprintf(w, "sniproxy_%s %d\n", c.name, c.v.Load())
	}
}

// Command sniproxy is a small SNI router built from drawbridge: it reads the
// ClientHello of each TLS connection without decrypting it (package sni),
// finds the route for its server name (route.Table), connects to one of the
// route's servers, sends a PROXY v2 header carrying the client's address and
// the server name (package proxyproto) with the hello, and copies both ways.
//
//	sniproxy -listen :443 -route 'app.example.com=10.0.0.10:8443' -route '*.example.com=10.0.0.11:8443'
//	sniproxy -routes edge.yaml -accept-proxy 10.0.0.0/8 -admin 127.0.0.1:9100
//
// With -routes, the file's first TLS listener gives the address and the
// routes: to the gateway tier (PROXY v2 when the gateway accepts it) or to
// static servers (the backend's proxyProtocol). SIGTERM or SIGINT stops
// accepting and lets open sessions finish for up to -drain-timeout.
package main

import (
	"bufio"
	"cmp"
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
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/drawbridge-go/drawbridge/proxyproto"
	"github.com/drawbridge-go/drawbridge/route"
	"github.com/drawbridge-go/drawbridge/sni"
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
	file := fs.String("routes", "", "route `file` (YAML): serve the first TLS listener's pass-through routes")
	cfg := &route.Config{Listeners: []route.Listener{{Name: "flags", Port: 8443, Protocol: route.TLS}}}
	fs.Func("route", "`host=ip:port[,ip:port]`: send SNI host (exact, *.suffix or *) to servers with PROXY v2",
		func(s string) error { // a backend named host with static servers, and a route to it
			host, list, ok := strings.Cut(s, "=")
			if !ok {
				return errors.New("want host=ip:port")
			}
			b := route.Backend{Name: host, ProxyProtocol: route.ProxyV2}
			for a := range strings.SplitSeq(list, ",") {
				b.Servers = append(b.Servers, route.Server{Address: a})
			}
			cfg.Backends = append(cfg.Backends, b)
			cfg.Routes = append(cfg.Routes, route.Route{Name: host, Listener: "flags", Hosts: []string{host}, Backend: host})
			return nil
		})
	accept := fs.String("accept-proxy", "", "comma-separated `CIDRs` of balancers that must send a PROXY header")
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
	} else if (*file == "") == (len(cfg.Routes) == 0) {
		return errors.New("give either -routes or at least one -route")
	} else if *file != "" {
		data, err := os.ReadFile(*file)
		if err == nil {
			if cfg, err = route.Parse(data); err == nil {
				err = cfg.Validate()
			}
		}
		if err != nil {
			return err
		}
	}

	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	p := &proxy{backends: map[string]*backend{}, log: log, sessions: map[*session]struct{}{}, hello: *hello,
		slots: make(chan struct{}, max(*maxConns, 1)), work: make(chan net.Conn),
		dialer:  net.Dialer{Timeout: *dial, KeepAlive: -1}, // no keepalive setsockopt calls per connection
		readers: sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }},
		bufs:    sync.Pool{New: func() any { b := make([]byte, copyBuf); return &b }}}
	l, err := p.load(cfg)
	if err != nil {
		return err
	} else if l.AcceptProxy && *accept == "" {
		return fmt.Errorf("listener %q expects PROXY headers: give -accept-proxy", l.Name)
	}
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(ctx, "tcp", cmp.Or(*listen, net.JoinHostPort(l.Address, strconv.Itoa(l.Port))))
	if err != nil {
		return err
	}
	defer ln.Close()
	if *accept != "" {
		pl := &proxyproto.Listener{Listener: ln, HeaderTimeout: *hello, Logger: log}
		for c := range strings.SplitSeq(*accept, ",") {
			pfx, err := netip.ParsePrefix(strings.TrimSpace(c))
			if err != nil {
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

	if *idle > 0 {
		done := make(chan struct{})
		defer close(done)
		go p.sweep(*idle, done)
	}
	context.AfterFunc(ctx, func() { ln.Close() })
	p.serve(ln) // until ctx ends
	log.Info("draining", "active", p.m.active.Load(), "timeout", drain.String())
	t := time.AfterFunc(*drain, func() {
		log.Warn("drain timed out, closing sessions", "active", p.m.active.Load())
		p.reap(true)
	})
	p.wg.Wait()
	t.Stop()
	return nil
}

// load builds the table and the backends of the routes of the first TLS
// listener of cfg, which it returns.
func (p *proxy) load(cfg *route.Config) (*route.Listener, error) {
	i := slices.IndexFunc(cfg.Listeners, func(l route.Listener) bool { return l.Protocol == route.TLS })
	if i < 0 {
		return nil, errors.New("no TLS listener")
	}
	l := &cfg.Listeners[i]
	for _, r := range cfg.RoutesOf(l.Name) {
		b, _ := cfg.BackendByName(r.Backend)
		if r.TerminateAt == route.TierEdge || b == nil {
			return nil, fmt.Errorf("route %q: sniproxy passes TLS through to one backend", r.Name)
		}
		if cfg.BehindGateway(b) && cfg.Gateway != nil { // to the gateway tier, as static servers
			gw := route.Backend{Name: b.Name}
			if cfg.EdgeSendsProxy() {
				gw.ProxyProtocol = route.ProxyV2
			}
			for _, a := range cfg.Gateway.Addresses {
				gw.Servers = append(gw.Servers, route.Server{Address: net.JoinHostPort(a, strconv.Itoa(cfg.GatewayPort(&r)))})
			}
			b = &gw
		}
		be := &backend{name: b.Name, proxy: b.ProxyProtocol}
		for _, s := range b.Servers { // resolved once: sessions dial IP addresses
			a, err := net.ResolveTCPAddr("tcp", s.Address)
			if err != nil {
				return nil, fmt.Errorf("route %q: %w", r.Name, err)
			}
			be.servers = append(be.servers, a.String())
		}
		if len(be.servers) == 0 {
			return nil, fmt.Errorf("route %q: no servers", r.Name)
		}
		p.backends[r.Name] = be
	}
	var err error
	p.table, err = cfg.Table(l.Name)
	return l, err
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

// backend is where a route goes: servers ("ip:port") picked round robin,
// and the PROXY header they expect.
type backend struct {
	name    string
	servers []string
	proxy   route.ProxyProtocol
	next    atomic.Uint32
}

// proxy routes TLS connections by SNI.
type proxy struct {
	table    *route.Table
	backends map[string]*backend // by route name
	dialer   net.Dialer
	hello    time.Duration // the ClientHello deadline
	log      *slog.Logger
	slots    chan struct{} // one per allowed concurrent connection
	work     chan net.Conn // to idle workers
	readers  sync.Pool     // *bufio.Reader for hellos
	bufs     sync.Pool     // *[]byte of copyBuf bytes
	wg       sync.WaitGroup
	mu       sync.Mutex
	sessions map[*session]struct{} // open ones, swept for idle ones and closed when the drain times out
	m        struct{ accepted, active, sessions, idleClosed, badHello, noRoute, dialErr, up, down atomic.Int64 }
}

const copyBuf = 16 << 10 // two full reads in a row make a flow bulky: it is then spliced

// serve accepts connections until ln is closed, at most cap(p.slots) at a
// time, and hands them to workers: goroutines that read the hello and
// connect, then wait a second for the next connection, keeping their stacks.
func (p *proxy) serve(ln net.Listener) {
	defer close(p.work)
	for {
		p.slots <- struct{}{}
		c, err := ln.Accept()
		if err != nil {
			if <-p.slots; errors.Is(err, net.ErrClosed) {
				return
			}
			p.log.Warn("accept", "err", err) // EMFILE and the like: back off
			time.Sleep(50 * time.Millisecond)
			continue
		}
		p.wg.Add(1)
		select {
		case p.work <- c:
		default:
			go p.worker(c)
		}
	}
}

// worker starts c, then the connections handed to it until none comes for a
// second or serve ends (c is then nil).
func (p *proxy) worker(c net.Conn) {
	for t := time.NewTimer(time.Second); c != nil; {
		p.start(c)
		t.Reset(time.Second)
		select {
		case c = <-p.work:
		case <-t.C:
			return
		}
	}
}

// peekConn reads through a pooled bufio.Reader: one read syscall for a
// hello that came in one segment, where sni.Peek alone reads twice.
type peekConn struct {
	net.Conn
	r *bufio.Reader
}

// Read reads from the bufio.Reader.
func (c peekConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// session is a client connection and, once dialed, its server's.
type session struct {
	p                   *proxy
	c, bc               net.Conn
	start               time.Time
	name, be, srv, fail string       // for the log; fail says why a connection was refused
	ended               atomic.Int32 // pumps that ended
	up, down            atomic.Int64 // bytes written to the server (PROXY header and hello included), and back
	errUp, errDown      error
	seen                int64       // up+down at the last idle sweep, under p.mu
	idle                atomic.Bool // closed by the idle sweep
}

// start reads the hello, finds the route, connects to a server, sends the
// PROXY header and the hello in one write and starts a pump each way.
func (p *proxy) start(c net.Conn) {
	p.m.accepted.Add(1)
	p.m.active.Add(1)
	s := &session{p: p, c: c, start: time.Now(), seen: -1}
	p.mu.Lock()
	p.sessions[s] = struct{}{}
	p.mu.Unlock()
	r := p.readers.Get().(*bufio.Reader)
	r.Reset(c)
	defer func() { r.Reset(nil); p.readers.Put(r) }() // an idle session holds no buffer
	hello, sc, err := sni.Peek(peekConn{c, r}, sni.PeekOptions{Timeout: p.hello})
	name := hello.AppendServerName(make([]byte, 0, 256))
	rt := p.table.MatchBytes(name)
	if rt == nil || p.log.Enabled(context.Background(), slog.LevelInfo) {
		s.name = string(name)
	}
	switch {
	case err != nil:
		s.fail, s.errUp = "bad hello", err
		p.m.badHello.Add(1)
	case rt == nil:
		s.fail = "no route"
		p.m.noRoute.Add(1)
	default:
		be := p.backends[rt.Name]
		s.be, s.srv = be.name, be.servers[int(be.next.Add(1)-1)%len(be.servers)]
		// DialContext, not DialTCP: DialTCP binds even a zero local address,
		// and the kernel then searches a port under TIME_WAIT pressure.
		if s.bc, err = p.dialer.DialContext(context.Background(), "tcp", s.srv); err != nil {
			s.fail, s.errUp = "dial", err
			p.m.dialErr.Add(1)
			break
		}
		src, bp := c, p.bufs.Get().(*[]byte)
		defer p.bufs.Put(bp)
		out, err := appendProxyHeader((*bp)[:0], be.proxy, c, name)
		extra, _ := r.Peek(r.Buffered())
		out = append(append(out, sc.Buffered()...), extra...)
		if pc, ok := c.(*proxyproto.Conn); ok { // bytes that came with the PROXY header
			out, src = append(out, pc.Buffered()...), pc.NetConn()
		}
		if err == nil {
			_, err = s.bc.Write(out)
		}
		if s.up.Store(int64(len(out))); err == nil {
			go s.pump(s.bc, src, &s.up, &s.errUp)
			go s.pump(src, s.bc, &s.down, &s.errDown)
			return
		}
		s.errUp = err
	}
	s.finish()
}

// appendProxyHeader appends the PROXY header for client connection c to b:
// v2 with the AUTHORITY TLV carrying the server name, v1, or nothing.
func appendProxyHeader(b []byte, v route.ProxyProtocol, c net.Conn, name []byte) ([]byte, error) {
	src, ok1 := c.RemoteAddr().(*net.TCPAddr)
	dst, ok2 := c.LocalAddr().(*net.TCPAddr)
	if v == route.ProxyNone || !ok1 || !ok2 {
		return b, nil
	}
	h := proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Transport: proxyproto.TCP6,
		Source: src.AddrPort(), Destination: dst.AddrPort()}
	if h.Source.Addr().Unmap().Is4() && h.Destination.Addr().Unmap().Is4() {
		h.Transport = proxyproto.TCP4
	}
	if v == route.ProxyV1 {
		h.Version = 1
	} else if len(name) > 0 {
		h.TLVs, _ = proxyproto.AppendTLV(make([]byte, 0, 260), proxyproto.TypeAuthority, name)
	}
	return h.Append(b)
}

// pump copies src to dst until src ends, then half-closes dst unless the
// other pump ended too; the last one finishes the session, and a failure
// closes both connections.
func (s *session) pump(dst, src net.Conn, n *atomic.Int64, errp *error) {
	if *errp = s.copy(dst, src, n); *errp != nil {
		s.c.Close()
		s.bc.Close()
	}
	if s.ended.Add(1) == 2 {
		s.finish()
	} else if cw, ok := dst.(*net.TCPConn); ok && *errp == nil {
		cw.CloseWrite()
	}
}

// copy copies src to dst until src ends, adding the bytes written to n.
// Small exchanges go through a pooled buffer taken only once src is readable,
// so an idle session holds no buffer and no pipe: two descriptors in all.
// After two full buffers in a row, io.Copy splices, 4 MiB at a time so that
// n shows the progress to the idle sweep.
func (s *session) copy(dst, src net.Conn, n *atomic.Int64) error {
	if tc, ok := src.(*net.TCPConn); ok {
		rc, _ := tc.SyscallConn() // fails only for a nil conn
		var buf *[]byte
		var r int
		var rerr error
		read := func(fd uintptr) bool {
			buf = s.p.bufs.Get().(*[]byte)
			for r, rerr = syscall.Read(int(fd), *buf); rerr == syscall.EINTR; r, rerr = syscall.Read(int(fd), *buf) {
			}
			if rerr == syscall.EAGAIN {
				s.p.bufs.Put(buf) // wait until readable, holding nothing
			}
			return rerr != syscall.EAGAIN
		}
		for full := 0; full < 2; {
			if err := rc.Read(read); err != nil {
				return err // closed; buf went back to the pool
			}
			w, err := 0, os.NewSyscallError("read", rerr)
			if err == nil && r > 0 {
				w, err = dst.Write((*buf)[:r])
			}
			if s.p.bufs.Put(buf); err != nil || r == 0 {
				return err // r == 0: EOF
			}
			n.Add(int64(w))
			if full++; r < copyBuf {
				full = 0
			}
		}
	}
	for lr := (io.LimitedReader{R: src}); ; {
		lr.N = 4 << 20
		w, err := io.Copy(dst, &lr) // *net.TCPConn.ReadFrom splices
		if n.Add(w); err != nil || lr.N > 0 {
			return err
		}
	}
}

// sweep reaps idle sessions every period until done is closed.
func (p *proxy) sweep(period time.Duration, done <-chan struct{}) {
	for t := time.NewTicker(period); ; p.reap(false) {
		select {
		case <-t.C:
		case <-done:
			t.Stop()
			return
		}
	}
}

// reap closes the sessions that wrote no byte either way since the last
// reap, so idle sessions end after one to two sweep periods; or all of them.
func (p *proxy) reap(all bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for s := range p.sessions {
		if m := s.up.Load() + s.down.Load(); m != s.seen && !all {
			s.seen = m
		} else {
			s.idle.Store(!all)
			s.c.Close()
		}
	}
}

// finish closes the session's connections, counts and logs it.
func (s *session) finish() {
	p, lvl, msg, err := s.p, slog.LevelInfo, "session", errors.Join(s.errUp, s.errDown)
	if s.c.Close(); s.idle.Load() {
		err = errors.New("idle timeout")
		p.m.idleClosed.Add(1)
	}
	if s.fail != "" {
		lvl, msg = slog.LevelWarn, "refused: "+s.fail
	} else {
		s.bc.Close()
		p.m.sessions.Add(1)
	}
	if p.log.Enabled(context.Background(), lvl) {
		p.log.LogAttrs(context.Background(), lvl, msg, slog.String("client", s.c.RemoteAddr().String()),
			slog.String("sni", s.name), slog.String("backend", s.be), slog.String("server", s.srv),
			slog.Int64("bytes_up", s.up.Load()), slog.Int64("bytes_down", s.down.Load()),
			slog.Duration("duration", time.Since(s.start)), slog.Any("err", err))
	}
	p.mu.Lock()
	delete(p.sessions, s)
	p.mu.Unlock()
	p.m.up.Add(s.up.Load())
	p.m.down.Add(s.down.Load())
	p.m.active.Add(-1)
	<-p.slots
	p.wg.Done()
}

// Command sniproxy is a small SNI router built from drawbridge: it reads the
// ClientHello without decrypting it (package sni), finds the route for its
// server name (route.Table, route.Config.Upstream), connects, sends a PROXY
// header with the client's address and the server name (package proxyproto)
// and the hello, and copies both ways. SIGTERM or SIGINT stops accepting and
// lets open sessions finish for up to -drain-timeout.
//
//	sniproxy -listen :443 -route 'app.example.com=10.0.0.10:8443' -route '*.example.com=10.0.0.11:8443'
//	sniproxy -routes edge.yaml -accept-proxy 10.0.0.0/8 -admin 127.0.0.1:9100
package main

import (
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
	if err := run(ctx, os.Args[1:], os.Stderr, func(net.Addr, net.Addr) {}); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "sniproxy:", err)
		os.Exit(1)
	}
}

// run parses args, serves until ctx ends, then drains. ready gets the proxy's
// and the admin listener's addresses (nil without -admin) once both listen.
func run(ctx context.Context, args []string, stderr io.Writer, ready func(proxy, admin net.Addr)) error {
	fs := flag.NewFlagSet("sniproxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "", "`address` to listen on (default: the -routes listener's, else :8443)")
	file := fs.String("routes", "", "route `file` (YAML): serve the first TLS listener's pass-through routes")
	cfg := &route.Config{Name: "flags", Edge: &route.Edge{}, Listeners: []route.Listener{{Name: "flags", Port: 8443, Protocol: route.TLS}}}
	fs.Func("route", "`host=ip:port[,ip:port]`: send SNI host (exact, *.suffix or *) to servers with PROXY v2",
		func(s string) error { // a backend with static servers and a route to it, both named route-N
			host, list, ok := strings.Cut(s, "=")
			if !ok {
				return errors.New("want host=ip:port")
			}
			name := "route-" + strconv.Itoa(len(cfg.Routes)+1)
			b := route.Backend{Name: name, ProxyProtocol: route.ProxyV2}
			for a := range strings.SplitSeq(list, ",") {
				b.Servers = append(b.Servers, route.Server{Address: a})
			}
			cfg.Backends = append(cfg.Backends, b)
			cfg.Routes = append(cfg.Routes, route.Route{Name: name, Listener: "flags", Hosts: []string{host}, Backend: name, TerminateAt: route.TierBackend})
			return nil
		})
	var trusted []netip.Prefix
	fs.Func("accept-proxy", "`CIDR` of balancers that must send a PROXY header (repeatable)", func(s string) error {
		pfx, err := netip.ParsePrefix(s)
		trusted = append(trusted, pfx)
		return err
	})
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
		if data, err := os.ReadFile(*file); err != nil {
			return err
		} else if cfg, err = route.Parse(data); err != nil {
			return err
		}
	}
	plan, err := cfg.Plan()
	if err != nil {
		return err
	}

	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	p := &proxy{routes: map[string]*upstream{}, log: log, hello: *hello, idle: *idle,
		slots: make(chan struct{}, max(*maxConns, 1)), work: make(chan net.Conn),
		dialer: net.Dialer{Timeout: *dial, KeepAlive: -1}, // no keepalive setsockopt calls per connection
		bufs:   sync.Pool{New: func() any { b := make([]byte, copyBuf); return &b }}}
	i := slices.IndexFunc(cfg.Listeners, func(l route.Listener) bool { return l.Protocol == route.TLS })
	if i < 0 {
		return errors.New("no TLS listener")
	}
	l := &cfg.Listeners[i]
	if l.AcceptProxy && len(trusted) == 0 {
		return fmt.Errorf("listener %q expects PROXY headers: give -accept-proxy", l.Name)
	}
	for _, rp := range plan.Routes { // where each route goes
		if rp.Listener != l {
			continue
		}
		if rp.Edge.Pool < 0 || rp.Edge.Terminates {
			return fmt.Errorf("route %q: sniproxy passes TLS through to servers", rp.Route.Name)
		}
		pool := &plan.Pools[rp.Edge.Pool]
		p.routes[rp.Route.Name] = &upstream{backend: strings.Join(route.BackendNames(rp.Route), "+"), servers: pool.Addresses(), proxy: pool.Proxy}
	}
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(ctx, "tcp", cmp.Or(*listen, net.JoinHostPort(l.Address, strconv.Itoa(l.Port))))
	if err != nil {
		return err
	}
	defer ln.Close()
	if p.table, err = cfg.Table(l.Name); err != nil {
		return err
	}
	if len(trusted) > 0 {
		ln = &proxyproto.Listener{Listener: ln, Trusted: trusted, HeaderTimeout: *hello, Logger: log}
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
	ready(ln.Addr(), adminAddr)
	context.AfterFunc(ctx, func() { ln.Close() })
	p.serve(ln) // until ctx ends
	log.Info("draining", "active", p.m.active.Load(), "timeout", drain.String())
	t := time.AfterFunc(*drain, func() {
		log.Warn("drain timed out, closing sessions", "active", p.m.active.Load())
		p.sessions.Range(func(s, _ any) bool {
			s.(*session).c.Close()
			return true
		})
	})
	p.wg.Wait()
	t.Stop()
	return nil
}

// metrics serves the counters in the Prometheus text format.
func (p *proxy) metrics(w http.ResponseWriter, _ *http.Request) {
	m := &p.m
	for i, v := range []*atomic.Int64{&m.accepted, &m.active, &m.sessions, &m.idleClosed, &m.badHello, &m.noRoute, &m.dialErr, &m.up, &m.down} {
		fmt.Fprintf(w, "sniproxy_%s %d\n", counters[i], v.Load())
	}
}

var counters = [...]string{"connections_accepted_total", "connections_active", "sessions_total", "sessions_idle_closed_total",
	`refused_total{reason="hello"}`, `refused_total{reason="no_route"}`, `refused_total{reason="dial"}`,
	`bytes_total{direction="up"}`, `bytes_total{direction="down"}`}

// upstream is where a route goes: servers ("host:port") picked round robin,
// and the PROXY header they expect.
type upstream struct {
	backend string // for the log: the route's backend, or its split's joined by "+"
	servers []string
	proxy   route.ProxyProtocol
	next    atomic.Uint32
}

// proxy routes TLS connections by SNI.
type proxy struct {
	table    *route.Table
	routes   map[string]*upstream // by route name
	dialer   net.Dialer
	hello    time.Duration // the ClientHello deadline
	idle     time.Duration // the idle timeout, 0 for none
	log      *slog.Logger
	slots    chan struct{} // one per allowed concurrent connection
	work     chan net.Conn // to idle workers
	bufs     sync.Pool     // *[]byte of copyBuf bytes
	wg       sync.WaitGroup
	sessions sync.Map // open *session keys, closed when the drain times out
	m        struct{ accepted, active, sessions, idleClosed, badHello, noRoute, dialErr, up, down atomic.Int64 }
}

const copyBuf = 16 << 10 // two full reads in a row make a flow bulky: it is then spliced

// serve accepts connections until ln is closed, at most cap(p.slots) at a time, for
// workers: goroutines that start sessions and keep their grown stacks for a second.
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
			go func() {
				for t := time.NewTimer(time.Second); c != nil; {
					p.start(c)
					t.Reset(time.Second)
					select {
					case c = <-p.work: // nil once serve has returned
					case <-t.C:
						return
					}
				}
			}()
		}
	}
}

// session is a client connection and, once dialed, its server's.
type session struct {
	p                   *proxy
	c, bc               net.Conn
	start               time.Time
	name, be, srv, fail string       // for the log; fail says why a connection was refused
	ended               atomic.Int32 // pumps that ended
	up, down            atomic.Int64 // bytes written to the server (PROXY header and hello included), and back
	errUp, errDown      error
	idle                atomic.Bool // closed for being idle
}

// start reads the hello, finds the route, connects to a server, sends the
// PROXY header and the hello and starts a pump each way.
func (p *proxy) start(c net.Conn) {
	p.m.accepted.Add(1)
	p.m.active.Add(1)
	s := &session{p: p, c: c, start: time.Now()}
	p.sessions.Store(s, nil)
	hb, idle := p.bufs.Get().(*[]byte), time.Time{}
	defer p.bufs.Put(hb) // an idle session holds no buffer
	if p.idle > 0 {
		idle = s.start.Add(p.idle) // the first idle deadline, on both connections
	}
	hello, sc, err := sni.Peek(c, sni.PeekOptions{Timeout: p.hello, Buffer: *hb, ReadAhead: true, RestoreDeadline: idle})
	s.name = hello.ServerName() // one allocation: the session keeps it for the log
	rt := p.table.Match(s.name)
	switch {
	case err != nil:
		s.fail, s.errUp = "bad hello", err
		p.m.badHello.Add(1)
	case rt == nil:
		s.fail = "no route"
		p.m.noRoute.Add(1)
	default:
		u := p.routes[rt.Name]
		s.be, s.srv = u.backend, u.servers[int(u.next.Add(1)-1)%len(u.servers)]
		// Not DialTCP: it binds even a zero local address, slow under TIME_WAIT pressure.
		if s.bc, err = p.dialer.DialContext(context.Background(), "tcp", s.srv); err != nil {
			s.fail, s.errUp = "dial", err
			p.m.dialErr.Add(1)
			break
		}
		// The PROXY header (v2 with the AUTHORITY TLV carrying the server name,
		// or v1), the hello and what followed it, in one write.
		src, out, h := c, net.Buffers{nil, sc.Buffered()}, proxyproto.FromAddrs(c.RemoteAddr(), c.LocalAddr())
		if u.proxy == route.ProxyV1 {
			h.Version = 1
		} else if s.name != "" {
			h.TLVs, _ = proxyproto.AppendTLV(make([]byte, 0, 600), proxyproto.TypeAuthority, []byte(s.name))
		}
		if err = s.bc.SetReadDeadline(idle); err == nil && u.proxy != route.ProxyNone {
			out[0], err = h.Append(h.TLVs[len(h.TLVs):]) // the header goes after its TLVs' bytes
		}
		if pc, ok := c.(*proxyproto.Conn); ok { // bytes that came with the PROXY header
			out, src = append(out, pc.Buffered()), pc.NetConn()
		}
		var n int64
		if err == nil {
			n, err = out.WriteTo(s.bc)
		}
		if s.up.Store(n); err == nil {
			go s.pump(s.bc, src, &s.up, &s.errUp)
			go s.pump(src, s.bc, &s.down, &s.errDown)
			return
		}
		s.errUp = err
	}
	s.finish()
}

// pump copies src to dst, then half-closes dst unless the other pump ended too;
// the last one finishes the session, and a failure closes both connections.
func (s *session) pump(dst, src net.Conn, n *atomic.Int64, errp *error) {
	if *errp = s.copy(dst, src.(*net.TCPConn), n); *errp != nil {
		s.c.Close()
		s.bc.Close()
	}
	if s.ended.Add(1) == 2 {
		s.finish()
	} else if cw, ok := dst.(*net.TCPConn); ok && *errp == nil {
		cw.CloseWrite()
	}
}

// copy copies src to dst until src ends, adding the bytes written to n. Small
// exchanges go through a pooled buffer taken only once src is readable, so an idle
// session holds no buffer and no pipe (two descriptors in all). After two full
// buffers in a row, io.Copy splices, 4 MiB at a time so that n shows progress.
func (s *session) copy(dst net.Conn, src *net.TCPConn, n *atomic.Int64) error {
	rc, _ := src.SyscallConn() // fails only for a nil conn
	buf, r, rerr := (*[]byte)(nil), 0, error(nil)
	read := func(fd uintptr) bool { // no EINTR: the socket does not block
		buf = s.p.bufs.Get().(*[]byte)
		if r, rerr = syscall.Read(int(fd), *buf); rerr == syscall.EAGAIN {
			s.p.bufs.Put(buf) // wait until readable, holding nothing
		}
		return rerr != syscall.EAGAIN
	}
	seen := int64(-1) // the first deadline only extends: it may pass during a slow hello
	for full := 0; full < 2; {
		if err := rc.Read(read); err != nil && s.busy(src, &seen, err) {
			continue
		} else if err != nil {
			return err // closed or idle; buf went back to the pool
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
	for lr := (io.LimitedReader{R: src}); ; {
		lr.N = 4 << 20
		w, err := io.Copy(dst, &lr) // *net.TCPConn.ReadFrom splices
		if n.Add(w); err == nil && lr.N > 0 || err != nil && !s.busy(src, &seen, err) {
			return err
		}
	}
}

// busy reports whether err is src's idle deadline passing while the session
// moved bytes either way since *seen, and then extends the deadline. So an
// idle session ends after one to two -idle-timeout periods.
func (s *session) busy(src net.Conn, seen *int64, err error) bool {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	} else if m := s.up.Load() + s.down.Load(); m != *seen {
		*seen = m
		return src.SetReadDeadline(time.Now().Add(s.p.idle)) == nil
	}
	s.idle.Store(true)
	return false
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
	p.sessions.Delete(s)
	p.m.up.Add(s.up.Load())
	p.m.down.Add(s.down.Load())
	p.m.active.Add(-1)
	<-p.slots
	p.wg.Done()
}

package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drawbridge-go/drawbridge/sni"
)

// Defaults for the [Server] fields left zero.
const (
	DefaultDialTimeout = 5 * time.Second
	DefaultIdleTimeout = 5 * time.Minute
)

// ErrServerClosed is returned by [Server.Serve] after [Server.Shutdown] or
// [Server.Close].
var ErrServerClosed = errors.New("proxy: server closed")

// Target is where a [Server] relays a connection.
type Target struct {
	// Addrs are the "host:port" addresses to connect to, tried in order
	// until one accepts. Empty refuses the connection.
	Addrs []string
	// Proxy is the version of the PROXY protocol header sent before the
	// hello, with the client's address: 0 for none, 1 (text) or 2 (binary,
	// with the server name in an AUTHORITY TLV).
	Proxy uint8
	// Name names the target in the log, such as a backend's name; optional.
	Name string
}

// Server relays TLS connections by the server name of their ClientHello,
// without terminating TLS. Configure it with a struct literal; the zero
// values of the fields are ready to use, so only Route is needed. A Server
// must not be copied after its first use.
type Server struct {
	// Route picks the target for a ClientHello; false refuses the
	// connection, which is closed. The hello and its views are valid only
	// during the call. Route is called from many goroutines at once. Nil
	// refuses every connection. [TableRoute] makes one from a route table.
	Route func(hello *sni.Hello) (Target, bool)
	// HelloTimeout bounds the time a client has to send its whole
	// ClientHello. Zero means [sni.DefaultTimeout]; negative means no limit.
	HelloTimeout time.Duration
	// MaxHelloSize caps the ClientHello's length in bytes. Zero means
	// [sni.DefaultMaxSize].
	MaxHelloSize int
	// DialTimeout bounds each connection attempt to a target address. Zero
	// means [DefaultDialTimeout].
	DialTimeout time.Duration
	// IdleTimeout closes a session that moved no byte either way for this
	// long. It is checked once a period, so a session ends between one and
	// two periods after its last byte. Zero means [DefaultIdleTimeout];
	// negative means never.
	IdleTimeout time.Duration
	// MaxConns caps the connections open at once; past it, new ones wait in
	// the listen backlog. Zero means no cap.
	MaxConns int
	// Portable serves every connection with goroutines, as on systems
	// other than Linux: one reads the hello and dials, then two copy, one
	// per direction. By default on Linux, a few epoll loops (one per
	// GOMAXPROCS, at most 8) accept from a *net.TCPListener, read hellos,
	// connect to targets given by address, and relay every session, with no
	// goroutine, no buffer and no pipe for an idle one; see the package
	// documentation. [Server.Shutdown] and [Server.Close] end the loops.
	Portable bool
	// Logger receives a record per connection: Info for a relayed session
	// when it ends, Warn for a refused connection (bad hello, no route, no
	// address reachable), Debug for a failed attempt to one address. Nil
	// means no logging.
	Logger *slog.Logger

	once      sync.Once
	done      chan struct{} // closed by Shutdown and Close
	slots     chan struct{} // one per open connection, when MaxConns > 0
	work      chan *session // to idle workers
	bufs      sync.Pool     // *[]byte of bufSize bytes
	dialer    net.Dialer
	dialCtx   context.Context // canceled when sessions are closed
	stopDials context.CancelFunc

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	sessions  map[*session]struct{}
	closing   bool          // Shutdown or Close began
	killed    bool          // sessions were closed
	drained   chan struct{} // closed once closing and no session is left

	stats counters
	loops loopSet // the Linux event loops
}

// Stats are a [Server]'s counters since it started serving.
type Stats struct {
	Accepted   int64 // connections accepted
	Active     int64 // connections open now
	Sessions   int64 // connections relayed to a target, ended
	IdleClosed int64 // sessions closed for being idle
	// Refused connections: a ClientHello that was malformed, too large or
	// too slow; no target for it (or one with an unknown PROXY version); no
	// address of the target reachable.
	RefusedHello, RefusedRoute, RefusedDial int64
	// BytesUp were sent to targets (PROXY headers and hellos included),
	// BytesDown back to clients, by the sessions that ended.
	BytesUp, BytesDown int64
}

type counters struct {
	accepted, active, sessions, idleClosed            atomic.Int64
	refusedHello, refusedRoute, refusedDial, up, down atomic.Int64
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	c := &s.stats
	return Stats{Accepted: c.accepted.Load(), Active: c.active.Load(), Sessions: c.sessions.Load(),
		IdleClosed: c.idleClosed.Load(), RefusedHello: c.refusedHello.Load(), RefusedRoute: c.refusedRoute.Load(),
		RefusedDial: c.refusedDial.Load(), BytesUp: c.up.Load(), BytesDown: c.down.Load()}
}

// bufSize is the size of the pooled buffers: the hello is read into one,
// small exchanges are copied through one, and two full reads in a row make
// a flow bulky, which is then spliced.
const bufSize = 16 << 10

// workerIdle is how long a goroutine that served a connection waits for the
// next one, keeping its grown stack, before it ends.
const workerIdle = time.Second

func (s *Server) init() {
	s.once.Do(func() {
		s.done = make(chan struct{})
		s.work = make(chan *session)
		if s.MaxConns > 0 {
			s.slots = make(chan struct{}, s.MaxConns)
		}
		s.bufs.New = func() any { b := make([]byte, bufSize); return &b }
		// No keepalive: it costs setsockopt calls per connection, and the
		// idle timeout ends dead sessions.
		s.dialer = net.Dialer{Timeout: cmpOr(s.DialTimeout, DefaultDialTimeout), KeepAlive: -1}
		s.dialCtx, s.stopDials = context.WithCancel(context.Background())
		s.listeners = map[net.Listener]struct{}{}
		s.sessions = map[*session]struct{}{}
	})
}

func cmpOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// idleTimeout returns the idle timeout, or 0 for none.
func (s *Server) idleTimeout() time.Duration {
	return max(cmpOr(s.IdleTimeout, DefaultIdleTimeout), 0)
}

// Serve accepts connections on ln and relays each by its ClientHello, until
// ln fails or the server is shut down. It closes ln when it returns, and
// returns [ErrServerClosed] after [Server.Shutdown] or [Server.Close].
//
// To take connections from a load balancer that sends PROXY headers, wrap
// ln in a [github.com/drawbridge-go/drawbridge/proxyproto.Listener]: the
// client address the header reports is then the one sent to targets, and
// the bytes are still spliced between the two TCP connections.
func (s *Server) Serve(ln net.Listener) error {
	s.init()
	defer ln.Close()
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()
	if !s.Portable {
		if ok, err := s.serveLoops(ln); ok {
			return err
		}
	}
	var delay time.Duration
	for {
		if s.slots != nil {
			select {
			case s.slots <- struct{}{}:
			case <-s.done:
				return ErrServerClosed
			}
		}
		c, err := ln.Accept()
		if err != nil {
			if s.slots != nil {
				<-s.slots
			}
			select {
			case <-s.done:
				return ErrServerClosed
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Out of descriptors and the like: back off, as net/http does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			if s.Logger != nil {
				s.Logger.Warn("proxy: accept", "err", err, "retry_in", delay)
			}
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-s.done:
				t.Stop()
				return ErrServerClosed
			}
			continue
		}
		delay = 0
		ss := s.track(c)
		if ss == nil {
			continue // shutting down: c is closed
		}
		select {
		case s.work <- ss:
		default:
			go s.worker(ss)
		}
	}
}

// worker serves ss, then the sessions handed to it, until it has waited
// workerIdle for one or the server shuts down.
func (s *Server) worker(ss *session) {
	t := time.NewTimer(workerIdle)
	defer t.Stop()
	for {
		ss.serve()
		t.Reset(workerIdle)
		select {
		case ss = <-s.work:
		case <-t.C:
			return
		case <-s.done:
			return
		}
	}
}

// track registers a new connection, or closes it and returns nil when the
// server is shutting down.
func (s *Server) track(c net.Conn) *session {
	ss := &session{srv: s, c: c, start: time.Now()}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		c.Close()
		if s.slots != nil {
			<-s.slots
		}
		return nil
	}
	s.sessions[ss] = struct{}{}
	s.mu.Unlock()
	s.stats.accepted.Add(1)
	s.stats.active.Add(1)
	return ss
}

// untrack forgets an ended session.
func (s *Server) untrack(ss *session) {
	s.stats.active.Add(-1)
	s.mu.Lock()
	delete(s.sessions, ss)
	if s.closing && len(s.sessions) == 0 && s.drained != nil {
		close(s.drained)
		s.drained = nil
	}
	s.mu.Unlock()
	if s.slots != nil {
		<-s.slots
	}
}

// Shutdown stops the server gracefully: it closes the listeners, lets the
// open sessions end on their own, and returns once none is left. When ctx
// ends first, it closes every connection, waits for their sessions to end
// (which is immediate), and returns ctx's error. Serve then returns
// [ErrServerClosed].
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.mu.Lock()
	if !s.closing {
		s.closing = true
		close(s.done)
		for ln := range s.listeners {
			ln.Close()
		}
	}
	var drained <-chan struct{}
	if len(s.sessions) > 0 {
		if s.drained == nil {
			s.drained = make(chan struct{})
		}
		drained = s.drained
	}
	s.mu.Unlock()
	if drained == nil {
		s.stopLoops()
		return nil
	}
	select {
	case <-drained:
		s.stopLoops()
		return nil
	case <-ctx.Done():
	}
	s.kill()
	<-drained
	s.stopLoops()
	return ctx.Err()
}

// Close closes the listeners and every connection at once, and returns once
// their sessions have ended.
func (s *Server) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// kill closes every session's connections, and aborts dials.
func (s *Server) kill() {
	s.stopDials()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.killed = true
	s.killLoops()
	for ss := range s.sessions {
		if ss.c != nil {
			ss.c.Close()
		}
		if ss.bc != nil {
			ss.bc.Close()
		}
	}
}

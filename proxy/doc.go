// Package proxy is the glue of an SNI router: a [Server] accepts TLS
// connections, reads each ClientHello without terminating TLS
// ([github.com/drawbridge-go/drawbridge/sni.Peek], under a deadline and a
// size cap), asks a Route func where it goes, connects to the first address
// of the [Target] that accepts, sends a PROXY protocol header with the
// client's address ([github.com/drawbridge-go/drawbridge/proxyproto]) and the
// hello, and copies both ways until each side has closed, with half-close
// and an idle timeout. Between two TCP connections the bulk of a flow is
// spliced by the kernel.
//
// A whole router, with a route given in Go:
//
//	srv := &proxy.Server{Route: func(h *sni.Hello) (proxy.Target, bool) {
//		if h.ServerName() == "app.example.com" {
//			return proxy.Target{Addrs: []string{"10.0.0.10:8443"}, Proxy: 2}, true
//		}
//		return proxy.Target{}, false // closes the connection
//	}}
//	ln, err := net.Listen("tcp", ":443")
//	if err != nil {
//		log.Fatal(err)
//	}
//	log.Fatal(srv.Serve(ln))
//
// # Routes from a route file
//
// [TableRoute] adapts a [github.com/drawbridge-go/drawbridge/route.Table]
// (hosts, wildcards and a catch-all, matched without allocating) and the
// [github.com/drawbridge-go/drawbridge/route.Plan] of the same configuration
// (where each route's traffic goes from the edge, and with which PROXY
// header), so that a Go edge serves what a route file describes:
//
//	cfg, err := route.Load(file)
//	plan, err := cfg.Plan()
//	table, err := cfg.Table("tls")
//	routes, err := proxy.TableRoute(table, plan)
//	srv := &proxy.Server{Route: routes, Logger: slog.Default()}
//
// # Configuration
//
// A Server is configured by struct literal and every zero value works: a
// hello deadline of [sni.DefaultTimeout], a dial timeout of
// [DefaultDialTimeout] an address, an idle timeout of [DefaultIdleTimeout],
// no connection cap, no logging. [Server.Shutdown] stops accepting and
// waits for the open sessions, closing them when its context ends;
// [Server.Stats] returns counters for metrics. Behind a load balancer that
// sends PROXY headers, serve a
// [github.com/drawbridge-go/drawbridge/proxyproto.Listener].
//
// # Cost
//
// A connection costs the hello's parse (no allocation), one write to the
// target for the PROXY header, the hello and any bytes that came with it,
// and then the copy both ways. The goroutines that read hellos and dial
// targets are reused for a second.
//
// On Linux, a few event loops (one per GOMAXPROCS, at most 8), each an
// epoll instance in edge-triggered mode parked in the runtime's poller
// while nothing moves, do all of it for a *net.TCPListener: accept, read
// the hello into a pooled buffer, route, connect with a non-blocking
// socket and write the header and the hello right after connect, as
// HAProxy does. A target given by host name is dialed by a goroutine and
// the session handed back; so is every session from a listener of another
// kind (a proxyproto.Listener), once its hello is read. A loop copies small
// exchanges through pooled buffers, held only while a write waits, and
// splices a direction through a pipe of its own once it has read two full
// buffers in a row. An idle session holds no goroutine, no buffer and no
// pipe: two descriptors and a few hundred bytes. Half-close is kept, and
// idle sessions are closed by a sweep once an idle period.
//
// Elsewhere, or with [Server.Portable], two goroutines copy each session,
// one per direction, small exchanges through pooled buffers taken once the
// connection is readable (on Unix), bulk ones spliced by io.Copy.
//
// # Examples
//
// Example is a router on loopback with a real crypto/tls client;
// ExampleTableRoute routes by the table of a planned route file.
package proxy

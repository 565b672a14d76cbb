// Command sniproxy is a small SNI router built from drawbridge: a
// proxy.Server that reads the ClientHello without decrypting it, finds the
// route for its server name (route.Table) and where the route's traffic
// goes (route.Plan), connects, sends a PROXY header with the client's
// address and the server name and the hello, and copies both ways (on
// Linux in a few epoll loops; with -portable, two goroutines a session). SIGTERM
// or SIGINT stops accepting and lets open sessions finish for up to
// -drain-timeout.
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
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/drawbridge-go/drawbridge/proxy"
	"github.com/drawbridge-go/drawbridge/proxyproto"
	"github.com/drawbridge-go/drawbridge/route"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stderr, func(net.Addr, net.Addr) {})
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "sniproxy:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	listen, file, admin string
	cfg                 *route.Config // from -route flags
	trusted             []netip.Prefix
	hello, idle, dial   time.Duration
	drain               time.Duration
	maxConns            int
	portable            bool
	level               slog.Level
}

// parse reads the flags into o.
func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{cfg: &route.Config{Name: "flags", Edge: &route.Edge{},
		Listeners: []route.Listener{{Name: "flags", Port: 8443, Protocol: route.TLS}}}}
	fs := flag.NewFlagSet("sniproxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.listen, "listen", "", "`address` to listen on (default: the -routes listener's, else :8443)")
	fs.StringVar(&o.file, "routes", "", "route `file` (YAML): serve the first TLS listener's pass-through routes")
	fs.Func("route", "`host=ip:port[,ip:port]`: send SNI host (exact, *.suffix or *) to servers with PROXY v2", o.addRoute)
	fs.Func("accept-proxy", "`CIDR` of balancers that must send a PROXY header (repeatable)", func(s string) error {
		pfx, err := netip.ParsePrefix(s)
		o.trusted = append(o.trusted, pfx)
		return err
	})
	fs.DurationVar(&o.hello, "hello-timeout", 5*time.Second, "time a client has to send its ClientHello")
	fs.DurationVar(&o.idle, "idle-timeout", 5*time.Minute, "close sessions idle both ways this long, up to twice (0: never)")
	fs.DurationVar(&o.dial, "dial-timeout", 5*time.Second, "time to connect to a server")
	fs.IntVar(&o.maxConns, "max-conns", 10000, "concurrent connections; more wait in the listen backlog")
	fs.BoolVar(&o.portable, "portable", false, "copy each session with two goroutines instead of the event loops (Linux)")
	fs.DurationVar(&o.drain, "drain-timeout", 30*time.Second, "on SIGTERM, time open sessions have to finish")
	fs.StringVar(&o.admin, "admin", "", "`address` serving Prometheus counters on /metrics (default: none)")
	fs.TextVar(&o.level, "log-level", slog.LevelInfo, "debug, info (a line per session), warn (refusals) or error")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if (o.file == "") == (len(o.cfg.Routes) == 0) {
		return nil, errors.New("give either -routes or at least one -route")
	}
	return o, nil
}

// addRoute adds a -route: a backend with static servers and a route to it,
// both named route-N.
func (o *options) addRoute(s string) error {
	host, list, ok := strings.Cut(s, "=")
	if !ok {
		return errors.New("want host=ip:port")
	}
	name := "route-" + strconv.Itoa(len(o.cfg.Routes)+1)
	b := route.Backend{Name: name, ProxyProtocol: route.ProxyV2}
	for a := range strings.SplitSeq(list, ",") {
		b.Servers = append(b.Servers, route.Server{Address: a})
	}
	o.cfg.Backends = append(o.cfg.Backends, b)
	o.cfg.Routes = append(o.cfg.Routes, route.Route{Name: name, Listener: "flags", Hosts: []string{host},
		Backend: name, TerminateAt: route.TierBackend})
	return nil
}

// run parses args, serves until ctx ends, then drains. ready gets the proxy's
// and the admin listener's addresses (nil without -admin) once both listen.
func run(ctx context.Context, args []string, stderr io.Writer, ready func(proxy, admin net.Addr)) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	cfg := o.cfg
	if o.file != "" {
		data, err := os.ReadFile(o.file)
		if err != nil {
			return err
		}
		cfg, err = route.Parse(data)
		if err != nil {
			return err
		}
	}
	plan, err := cfg.Plan()
	if err != nil {
		return err
	}
	i := slices.IndexFunc(cfg.Listeners, func(l route.Listener) bool { return l.Protocol == route.TLS })
	if i < 0 {
		return errors.New("no TLS listener")
	}
	l := &cfg.Listeners[i]
	if l.AcceptProxy && len(o.trusted) == 0 {
		return fmt.Errorf("listener %q expects PROXY headers: give -accept-proxy", l.Name)
	}
	table, err := cfg.Table(l.Name)
	if err != nil {
		return err
	}
	routes, err := proxy.TableRoute(table, plan)
	if err != nil {
		return err
	}

	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: o.level}))
	srv := &proxy.Server{Route: routes, HelloTimeout: o.hello, DialTimeout: o.dial,
		IdleTimeout: cmp.Or(o.idle, -1), MaxConns: max(o.maxConns, 1), Portable: o.portable, Logger: log}
	lc := net.ListenConfig{KeepAlive: -1} // no keepalive setsockopt calls per connection
	ln, err := lc.Listen(ctx, "tcp", cmp.Or(o.listen, net.JoinHostPort(l.Address, strconv.Itoa(l.Port))))
	if err != nil {
		return err
	}
	if len(o.trusted) > 0 {
		ln = &proxyproto.Listener{Listener: ln, Trusted: o.trusted, HeaderTimeout: o.hello, Logger: log}
	}
	var adminAddr net.Addr
	if o.admin != "" {
		aln, err := lc.Listen(ctx, "tcp", o.admin)
		if err != nil {
			ln.Close()
			return err
		}
		adminAddr = aln.Addr()
		admin := &http.Server{Handler: metricsHandler(srv), ReadHeaderTimeout: 5 * time.Second}
		go admin.Serve(aln)
		defer admin.Close()
	}
	log.Info("listening", "addr", ln.Addr().String(), "routes", table.Len())
	ready(ln.Addr(), adminAddr)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-served: // the listener failed
		srv.Close()
		return err
	}

	log.Info("draining", "active", srv.Stats().Active, "timeout", o.drain.String())
	dctx, cancel := context.WithTimeout(context.Background(), o.drain)
	defer cancel()
	if err := srv.Shutdown(dctx); err != nil {
		log.Warn("drain timed out, sessions closed", "err", err)
	}
	<-served
	return nil
}

// metrics serves srv's counters in the Prometheus text format.
func metricsHandler(srv *proxy.Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s := srv.Stats()
		for _, m := range []struct {
			name string
			v    int64
		}{
			{"connections_accepted_total", s.Accepted},
			{"connections_active", s.Active},
			{"sessions_total", s.Sessions},
			{"sessions_idle_closed_total", s.IdleClosed},
			{`refused_total{reason="hello"}`, s.RefusedHello},
			{`refused_total{reason="no_route"}`, s.RefusedRoute},
			{`refused_total{reason="dial"}`, s.RefusedDial},
			{`bytes_total{direction="up"}`, s.BytesUp},
			{`bytes_total{direction="down"}`, s.BytesDown},
		} {
			fmt.Fprintf(w, "sniproxy_%s %d\n", m.name, m.v)
		}
		// The memory the Go runtime holds from the system: what it mapped
		// less what it gave back. Unlike RSS, it does not drop while freed
		// memory is being returned in the background.
		ms := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
		metrics.Read(ms)
		if ms[0].Value.Kind() == metrics.KindUint64 && ms[1].Value.Kind() == metrics.KindUint64 {
			fmt.Fprintf(w, "sniproxy_go_memory_held_bytes %d\n", ms[0].Value.Uint64()-ms[1].Value.Uint64())
		}
	})
}

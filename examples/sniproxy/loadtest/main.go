// Command loadtest runs the same workload against examples/sniproxy, on its
// Linux event loops and with -portable (two goroutines a session), and
// against HAProxy 2.6 (tcp mode, req.ssl_sni routed through a 10,000-host
// map_str, send-proxy-v2, the same Go backend) and inetaf/tcpproxy's SNI
// router (internal/loadpeer, a module of its own; PROXY v1, the only
// version it sends), all running at once on
// different loopback ports, and prints a markdown table: each figure is the
// median of the rounds, with their range, and the ratio to HAProxy's. With
// -strace N it also counts each proxy's system calls over N connections
// (strace -f -c, counts only, attached after the timed rounds).
//
//	go run ./examples/sniproxy/loadtest -h
//
// It pins itself (load generator and backend) to one CPU with GOMAXPROCS=1
// and each proxy to the other, and alternates the load between the proxies
// in short slices (A B, B A, ...). The primary figure is each proxy's own CPU
// time per connection, read from /proc/PID/stat: with two cores the generator
// saturates first, so connections per second understate the faster proxy.
// Slices during which other processes used more than -noise of a CPU are
// discarded. Everything runs on 127.0.0.1 and every loop is bounded.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drawbridge-go/drawbridge/proxyproto"
	"github.com/drawbridge-go/drawbridge/sni"
)

var (
	rounds   = flag.Int("rounds", 10, "rounds; each runs every proxy once per measurement, order alternating")
	slice    = flag.Duration("slice", 3*time.Second, "length of one connection-rate slice")
	short    = flag.Duration("short", 2*time.Second, "length of one latency or bulk slice")
	workers  = flag.Int("workers", 64, "concurrent clients for the connection rate")
	hosts    = flag.Int("hosts", 10000, "host names in the routing table of both proxies")
	idle     = flag.Int("idle", 1000, "idle sessions for the RSS and fd figures")
	bulkN    = flag.Int("bulk", 4, "long connections for the bulk figure")
	noise    = flag.Float64("noise", 0.15, "discard slices where other processes used more than this share of one CPU")
	haproxy  = flag.String("haproxy", "/usr/sbin/haproxy", "haproxy binary")
	splice   = flag.Bool("haproxy-splice", false, "let HAProxy splice (option splice-auto); its default is off")
	genCPU   = flag.String("gen-cpu", "0", "CPU list for the generator and the backend (taskset -c)")
	proxyCPU = flag.String("proxy-cpu", "1", "CPU list for each proxy (taskset -c)")
	gogc     = flag.String("sniproxy-gogc", "", "GOGC for sniproxy (default: Go's, 100)")
	limit    = flag.Duration("timeout", 15*time.Minute, "give up after this long")
	straceN  = flag.Int("strace", 0, "count each proxy's system calls over this many connections with strace -f -c (0: do not)")
	peer     = flag.Bool("tcpproxy", true, "also run inetaf/tcpproxy's SNI router (internal/loadpeer, a module of its own; PROXY v1)")
	idleRuns = flag.Int("idle-rounds", 3, "rounds of the idle-session figures, each opening -idle more sessions")
)

const pinnedEnv = "SNIPROXY_LOADTEST_PINNED"

func main() {
	flag.Parse()
	if os.Getenv(pinnedEnv) == "" { // re-run pinned, with one P
		self, err := os.Executable()
		check(err)
		cmd := exec.Command("taskset", append([]string{"-c", *genCPU, self}, os.Args[1:]...)...)
		cmd.Env = append(os.Environ(), pinnedEnv+"=1", "GOMAXPROCS=1")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			os.Exit(1)
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), *limit)
	defer cancel()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// proc is a proxy under test.
type proc struct {
	name  string
	addr  string
	admin string // sniproxy's metrics endpoint
	cmd   *exec.Cmd
}

func run(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "sniproxy-loadtest")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	be, err := startBackend()
	if err != nil {
		return err
	}
	defer be.ln.Close()
	names := make([]string, *hosts)
	for i := range names {
		names[i] = fmt.Sprintf("host%d.example.com", i)
	}
	ports, err := freePorts(6) // HAProxy, both sniproxies, their admin endpoints, tcpproxy
	if err != nil {
		return err
	}

	// HAProxy: the map, the configuration.
	var m strings.Builder
	for _, n := range append(names, "bulk.example.com") {
		fmt.Fprintf(&m, "%s be_app\n", n)
	}
	os.WriteFile(filepath.Join(dir, "hosts.map"), []byte(m.String()), 0o644)
	spliceOpt := ""
	if *splice {
		spliceOpt = "  option splice-auto\n"
	}
	// maxconn 7000: with splice-auto, HAProxy reserves descriptors for
	// pipes too (maxpipes defaults to maxconn/4), and must stay under the
	// 20,000 descriptors a process may have here.
	cfg := fmt.Sprintf(`global
  nbthread 1
  maxconn 7000
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
%sfrontend fe
  bind 127.0.0.1:%d
  tcp-request inspect-delay 5s
  tcp-request content accept if { req.ssl_hello_type 1 }
  use_backend %%[req.ssl_sni,lower,map_str(%s/hosts.map,be_none)]
backend be_app
  server s1 %s send-proxy-v2
backend be_none
`, spliceOpt, ports[0], dir, be.ln.Addr())
	os.WriteFile(filepath.Join(dir, "haproxy.cfg"), []byte(cfg), 0o644)

	// sniproxy: the same hosts, as a route file for a Go edge in front of
	// the gateway tier (here: the Go backend), sending PROXY v2.
	var rf strings.Builder
	_, bport, _ := net.SplitHostPort(be.ln.Addr().String())
	fmt.Fprintf(&rf, "name: loadtest\nedge: {}\ngateway: {addresses: [127.0.0.1], httpsPort: %s, proxyProtocol: native}\n", bport)
	fmt.Fprintf(&rf, "listeners:\n- {name: tls, port: %d, protocol: TLS, address: 127.0.0.1}\n", ports[1])
	rf.WriteString("routes:\n- name: app\n  listener: tls\n  terminateAt: backend\n  backend: app\n  hosts:\n")
	for _, n := range append(names, "bulk.example.com") {
		fmt.Fprintf(&rf, "  - %s\n", n)
	}
	rf.WriteString("backends:\n- {name: app, service: {host: app.default.svc.cluster.local, port: 443}}\n")
	os.WriteFile(filepath.Join(dir, "routes.yaml"), []byte(rf.String()), 0o644)
	bin := filepath.Join(dir, "sniproxy")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/drawbridge-go/drawbridge/examples/sniproxy").CombinedOutput(); err != nil {
		return fmt.Errorf("building sniproxy: %v\n%s", err, out)
	}

	ha := &proc{name: "HAProxy 2.6", addr: fmt.Sprintf("127.0.0.1:%d", ports[0]),
		cmd: exec.Command("taskset", "-c", *proxyCPU, *haproxy, "-db", "-f", filepath.Join(dir, "haproxy.cfg"))}
	procs := []*proc{ha}
	if *peer {
		if p, err := tcpproxyPeer(ctx, dir, names, be.ln.Addr().String(), ports[5]); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest: without tcpproxy:", err)
		} else {
			procs = append(procs, p)
		}
	}
	for i, name := range []string{"sniproxy, event loops", "sniproxy, goroutines"} {
		args := []string{"-c", *proxyCPU, bin, "-routes", filepath.Join(dir, "routes.yaml"), "-log-level", "warn",
			"-max-conns", "20000", "-listen", fmt.Sprintf("127.0.0.1:%d", ports[1+i]), "-admin", fmt.Sprintf("127.0.0.1:%d", ports[3+i])}
		if i == 1 {
			args = append(args, "-portable")
		}
		gp := &proc{name: name, addr: fmt.Sprintf("127.0.0.1:%d", ports[1+i]), admin: fmt.Sprintf("127.0.0.1:%d", ports[3+i]),
			cmd: exec.Command("taskset", args...)}
		if *gogc != "" {
			gp.cmd.Env = append(os.Environ(), "GOGC="+*gogc)
		}
		procs = append(procs, gp)
	}
	for _, p := range procs {
		p.cmd.Stdout, p.cmd.Stderr = os.Stderr, os.Stderr
		if err := p.cmd.Start(); err != nil {
			return err
		}
		defer func() { p.cmd.Process.Kill(); p.cmd.Wait() }()
	}
	for _, p := range procs {
		if err := waitPort(p.addr); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}

	hellos := make([][]byte, 64)
	for i := range hellos {
		if hellos[i], err = clientHello(names[i*len(names)/len(hellos)]); err != nil {
			return err
		}
	}
	bulkHello, err := clientHello("bulk.example.com")
	if err != nil {
		return err
	}
	// Every proxy must route and send a PROXY header before we measure.
	for _, p := range procs {
		if _, err := oneConn(p.addr, hellos[0], nil); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	direct := func(h []byte) []byte { return append(be.header(), h...) }
	loadBefore := loadavg()
	fmt.Fprintf(os.Stderr, "load before: %s\n", loadBefore)

	// Idle sessions first, while the processes hold nothing from earlier
	// load (a Go process returns freed memory to the system for a while
	// after a burst, which would hide the sessions' cost): RSS and
	// descriptors, one proxy at a time, in rounds that each open -idle more
	// sessions and keep the earlier ones open, so that memory freed by an
	// earlier round cannot serve a later one.
	rss, fds, goMem := map[*proc][]float64{}, map[*proc][]float64{}, map[*proc][]float64{}
	for _, p := range procs {
		settle(p.cmd.Process.Pid)
		var held []net.Conn
		for r := 0; r < *idleRuns && ctx.Err() == nil; r++ {
			r0, f0, g0 := rssOf(p.cmd.Process.Pid), fdsOf(p.cmd.Process.Pid), goHeld(p.admin)
			conns, err := openIdle(p.addr, hellos, *idle)
			held = append(held, conns...)
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return fmt.Errorf("%s idle sessions: %w", p.name, err)
			}
			time.Sleep(500 * time.Millisecond)
			r1, f1, g1 := rssOf(p.cmd.Process.Pid), fdsOf(p.cmd.Process.Pid), goHeld(p.admin)
			rss[p] = append(rss[p], float64(r1-r0)/float64(*idle))
			if p.admin != "" {
				goMem[p] = append(goMem[p], float64(g1-g0)/1024/float64(*idle))
			}
			fds[p] = append(fds[p], float64(f1-f0)/float64(*idle))
			fmt.Fprintf(os.Stderr, "%s: RSS %d -> %d KiB, fds %d -> %d with %d more idle sessions, load %s\n", p.name, r0, r1, f0, f1, *idle, loadavg())
		}
		for _, c := range held {
			c.Close()
		}
		time.Sleep(time.Second)
	}
	// Connection rate and CPU per connection, interleaved: each round runs
	// every proxy once, in an order that rotates and reverses.
	type rateRes struct{ cps, us, user, noise float64 }
	rate, all := map[*proc][]rateRes{}, map[*proc][]rateRes{}
	discarded := 0
	for r := 0; r < *rounds && ctx.Err() == nil; r++ {
		order := interleave(procs, r)
		res := map[*proc]rateRes{}
		clean := true
		for _, p := range order {
			c0, o0 := cpuOf(p.cmd.Process.Pid), othersBusy(procs)
			n, _ := load(ctx, p.addr, hellos, *workers, *slice, nil)
			c1, o1 := cpuOf(p.cmd.Process.Pid), othersBusy(procs)
			others := o1.sub(o0).total / slice.Seconds()
			rr := rateRes{cps: float64(n) / slice.Seconds(), us: c1.sub(c0).total * 1e6 / float64(n),
				user: c1.sub(c0).user / c1.sub(c0).total, noise: others}
			res[p] = rr
			if others > *noise {
				clean = false
			}
			fmt.Fprintf(os.Stderr, "round %d %-22s %6.0f conn/s %5.1f µs/conn (user %2.0f%%) others %.2f CPU, load %s\n", r, p.name, rr.cps, rr.us, 100*rr.user, others, loadavg())
		}
		for p, rr := range res {
			all[p] = append(all[p], rr)
		}
		if !clean {
			discarded++
			continue
		}
		for p, rr := range res {
			rate[p] = append(rate[p], rr)
		}
	}
	if len(rate[ha]) < 3 { // the machine was never quiet: report every round, and say so
		fmt.Fprintf(os.Stderr, "fewer than 3 quiet rounds: the table uses all %d rounds\n", len(all[ha]))
		rate, discarded = all, -discarded
	}

	// Added latency with one client, and bulk throughput, interleaved with
	// the same traffic sent straight to the backend.
	lat, bulk := map[string][]float64{}, map[string][]float64{}
	for r := 0; r < max(*rounds/2, 3) && ctx.Err() == nil; r++ {
		for _, p := range append([]*proc{nil}, interleave(procs, r)...) {
			addr, wrap, name := be.ln.Addr().String(), direct, "direct"
			if p != nil {
				addr, wrap, name = p.addr, func(h []byte) []byte { return h }, p.name
			}
			var ds []time.Duration
			load(ctx, addr, [][]byte{wrap(hellos[r%len(hellos)])}, 1, *short, &ds)
			lat[name] = append(lat[name], median(ds).Seconds()*1e6)
			bulk[name] = append(bulk[name], bulkRate(ctx, addr, wrap(bulkHello), *bulkN, *short))
		}
	}
	// Added latency per round: the proxy's median less the direct one of
	// the same round.
	added := map[string][]float64{}
	for _, p := range procs {
		for i, v := range lat[p.name] {
			added[p.name] = append(added[p.name], v-lat["direct"][i])
		}
	}

	fmt.Fprintf(os.Stderr, "load after: %s\n", loadavg())

	// The table.
	col := func(p *proc, f func(rateRes) float64) []float64 {
		var v []float64
		for _, rr := range rate[p] {
			v = append(v, f(rr))
		}
		return v
	}
	cps := func(r rateRes) float64 { return r.cps }
	us := func(r rateRes) float64 { return r.us }
	user := func(r rateRes) float64 { return 100 * r.user }
	fmt.Printf("%d rounds x %v (conn/s, %d workers), %d discarded as noisy (others > %.2f CPU; negative: all kept, none was quiet); latency and bulk %d rounds x %v (HAProxy splice-auto: %v); idle sessions %d rounds of %d more; generator+backend on cpu %s (GOMAXPROCS=1), each proxy on cpu %s; %d hosts; load average before %s, after %s\n\n",
		*rounds, *slice, *workers, discarded, *noise, max(*rounds/2, 3), *short, *splice, *idleRuns, *idle, *genCPU, *proxyCPU, *hosts, loadBefore, loadavg())
	fmt.Println("Each cell: the median of the rounds, [their range]; × is the ratio to HAProxy's median (CPU: the median of the per-round ratios, with their range).")
	fmt.Println()
	fmt.Println("| | conn/s (k=64) | proxy CPU µs/conn | × | user share | added latency k=1 (µs) | × | bulk MiB/s | × | RSS per idle session (KiB) | × | Go memory held per idle session (KiB) | fds per idle session |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	fmt.Printf("| direct to backend | – | – | | – | (%s) | | %s | | – | | – | – |\n", spread(lat["direct"], "%.0f"), spread(bulk["direct"], "%.0f"))
	for _, p := range procs {
		var cpuRatio []float64
		for i := range rate[p] {
			cpuRatio = append(cpuRatio, rate[p][i].us/rate[ha][i].us)
		}
		x := func(v, h []float64) string { return fmt.Sprintf("%.2f", medianF(v)/medianF(h)) }
		fmt.Printf("| %s | %s | %s | %s | %.0f%% | %s | %s | %s | %s | %s | %s | %s | %s |\n", p.name,
			spread(col(p, cps), "%.0f"), spread(col(p, us), "%.1f"), spread(cpuRatio, "%.2f"), medianF(col(p, user)),
			spread(added[p.name], "%.0f"), x(added[p.name], added[ha.name]),
			spread(bulk[p.name], "%.0f"), x(bulk[p.name], bulk[ha.name]),
			spread(rss[p], "%.1f"), x(rss[p], rss[ha]), spread(goMem[p], "%.2f"), spread(fds[p], "%.2f"))
	}

	if *straceN > 0 {
		return syscallTable(ctx, procs, hellos, dir)
	}
	return nil
}

// tcpproxyPeer builds internal/loadpeer (inetaf/tcpproxy's SNI router) and
// returns it as a proxy on port, routing names to backend.
func tcpproxyPeer(ctx context.Context, dir string, names []string, backend string, port int) (*proc, error) {
	root, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "loadpeer")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	build.Dir = filepath.Join(strings.TrimSpace(string(root)), "internal", "loadpeer")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building internal/loadpeer: %v\n%s", err, out)
	}
	hostsFile := filepath.Join(dir, "hosts.txt")
	if err := os.WriteFile(hostsFile, []byte(strings.Join(append(names, "bulk.example.com"), "\n")+"\n"), 0o644); err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	return &proc{name: "tcpproxy (inetaf)", addr: addr,
		cmd: exec.Command("taskset", "-c", *proxyCPU, bin, "-listen", addr, "-hosts", hostsFile, "-backend", backend)}, nil
}

// interleave returns the order of round r: rotated by r, reversed every
// other pass.
func interleave(procs []*proc, r int) []*proc {
	n := len(procs)
	out := make([]*proc, n)
	for i := range n {
		out[i] = procs[(i+r)%n]
	}
	if (r/n)%2 == 1 {
		slices.Reverse(out)
	}
	return out
}

// spread formats the median of v and its range.
func spread(v []float64, f string) string {
	if len(v) == 0 {
		return "–"
	}
	return fmt.Sprintf(f+" ["+f+"–"+f+"]", medianF(v), slices.Min(v), slices.Max(v))
}

// syscallTable counts each proxy's system calls over -strace connections
// (sequential, one client) with strace -f -c attached to it, and prints the
// calls per connection side by side.
func syscallTable(ctx context.Context, procs []*proc, hellos [][]byte, dir string) error {
	counts := map[*proc]map[string]float64{}
	names := map[string]bool{}
	for _, p := range procs {
		out := filepath.Join(dir, "strace.txt")
		st := exec.CommandContext(ctx, "strace", "-f", "-c", "-o", out, "-p", strconv.Itoa(p.cmd.Process.Pid))
		st.Stderr = os.Stderr
		if err := st.Start(); err != nil {
			return fmt.Errorf("strace: %w", err)
		}
		time.Sleep(time.Second) // attached to every thread
		for i := 0; i < *straceN; i++ {
			if _, err := oneConn(p.addr, hellos[i%len(hellos)], nil); err != nil {
				fmt.Fprintf(os.Stderr, "%s under strace: %v\n", p.name, err)
			}
		}
		time.Sleep(500 * time.Millisecond) // the last sessions end
		st.Process.Signal(os.Interrupt)
		st.Wait()
		b, err := os.ReadFile(out)
		if err != nil {
			return err
		}
		counts[p] = map[string]float64{}
		for l := range strings.Lines(string(b)) {
			f := strings.Fields(l)
			if len(f) < 5 || f[len(f)-1] == "total" || f[len(f)-1] == "syscall" {
				continue
			}
			n, err := strconv.ParseFloat(f[3], 64)
			if err != nil {
				continue
			}
			counts[p][f[len(f)-1]] = n / float64(*straceN)
			names[f[len(f)-1]] = true
		}
	}
	fmt.Printf("\nSystem calls per connection, %d connections one after another, strace -f -c attached to each proxy:\n\n", *straceN)
	fmt.Print("| call |")
	for _, p := range procs {
		fmt.Printf(" %s |", p.name)
	}
	fmt.Print("\n|---|")
	for range procs {
		fmt.Print("---|")
	}
	fmt.Println()
	total := map[*proc]float64{}
	for _, n := range slices.Sorted(maps.Keys(names)) {
		fmt.Printf("| %s |", n)
		for _, p := range procs {
			fmt.Printf(" %.2f |", counts[p][n])
			total[p] += counts[p][n]
		}
		fmt.Println()
	}
	fmt.Print("| **total** |")
	for _, p := range procs {
		fmt.Printf(" **%.2f** |", total[p])
	}
	fmt.Println()
	return nil
}

// backend is the server behind both proxies: it reads a PROXY header and a
// ClientHello, then answers 64 bytes and waits for the client to close, or,
// for bulk.example.com, sends data until the client goes away.
type backend struct{ ln net.Listener }

func startBackend() (*backend, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &backend{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go b.serve(c)
		}
	}()
	return b, nil
}

// header is the PROXY header a client sends when it goes straight to the backend.
func (b *backend) header() []byte {
	ap := b.ln.Addr().(*net.TCPAddr).AddrPort()
	h := proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Transport: proxyproto.TCP4, Source: ap, Destination: ap}
	out, _ := h.AppendBinary(nil)
	return out
}

var reply = make([]byte, 64)

func (b *backend) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Minute))
	br := bufio.NewReaderSize(c, 4096)
	if _, err := proxyproto.Read(br); err != nil {
		return
	}
	hdr, err := br.Peek(5)
	if err != nil {
		return
	}
	rec := make([]byte, 5+(int(hdr[3])<<8|int(hdr[4])))
	if _, err := io.ReadFull(br, rec); err != nil {
		return
	}
	h, err := sni.Parse(rec)
	if err != nil {
		return
	}
	if h.ServerName() == "bulk.example.com" {
		buf := make([]byte, 256<<10)
		for {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}
	if _, err := c.Write(reply); err != nil {
		return
	}
	io.Copy(io.Discard, br)
}

var dialer = net.Dialer{KeepAlive: -1, Timeout: 5 * time.Second}

// oneConn connects, sends hello, reads the 64-byte reply and closes.
func oneConn(addr string, hello []byte, keep *net.Conn) (time.Duration, error) {
	start := time.Now()
	c, err := dialer.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	var buf [64]byte
	if _, err = c.Write(hello); err == nil {
		_, err = io.ReadFull(c, buf[:])
	}
	d := time.Since(start)
	if keep != nil && err == nil {
		c.SetDeadline(time.Time{})
		*keep = c
		return d, nil
	}
	c.Close()
	return d, err
}

// load runs k clients for d and returns the connections completed. With
// lat, the duration of each is appended to it (k must be 1).
func load(ctx context.Context, addr string, hellos [][]byte, k int, d time.Duration, lat *[]time.Duration) (int64, int64) {
	var n, errs atomic.Int64
	var first atomic.Value
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := 0; w < k; w++ {
		wg.Go(func() {
			for i := w; time.Now().Before(end) && ctx.Err() == nil; i++ {
				dur, err := oneConn(addr, hellos[i%len(hellos)], nil)
				if err != nil {
					errs.Add(1)
					first.CompareAndSwap(nil, err.Error())
					time.Sleep(time.Millisecond)
					continue
				}
				n.Add(1)
				if lat != nil {
					*lat = append(*lat, dur)
				}
			}
		})
	}
	wg.Wait()
	if e := errs.Load(); e > 0 {
		fmt.Fprintf(os.Stderr, "%s: %d failed connections, first: %v\n", addr, e, first.Load())
	}
	return n.Load(), errs.Load()
}

// bulkRate reads from n bulk connections for d and returns MiB/s.
func bulkRate(ctx context.Context, addr string, hello []byte, n int, d time.Duration) float64 {
	var total atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Go(func() {
			c, err := dialer.DialContext(ctx, "tcp", addr)
			if err != nil {
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(d))
			c.Write(hello)
			buf := make([]byte, 256<<10)
			for {
				m, err := c.Read(buf)
				total.Add(int64(m))
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return float64(total.Load()) / (1 << 20) / d.Seconds()
}

func openIdle(addr string, hellos [][]byte, n int) ([]net.Conn, error) {
	conns := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		var c net.Conn
		if _, err := oneConn(addr, hellos[i%len(hellos)], &c); err != nil {
			return conns, err
		}
		conns = append(conns, c)
	}
	return conns, nil
}

// clientHello returns the records of Go's default ClientHello for name.
func clientHello(name string) ([]byte, error) {
	client, server := net.Pipe()
	done := make(chan struct{})
	go func() {
		tls.Client(client, &tls.Config{ServerName: name}).Handshake()
		close(done)
	}()
	defer func() { client.Close(); server.Close(); <-done }()
	server.SetReadDeadline(time.Now().Add(10 * time.Second))
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(server, hdr); err != nil {
		return nil, err
	}
	rec := make([]byte, int(hdr[3])<<8|int(hdr[4]))
	if _, err := io.ReadFull(server, rec); err != nil {
		return nil, err
	}
	if len(rec) < 4 || 4+(int(rec[1])<<16|int(rec[2])<<8|int(rec[3])) != len(rec) {
		return nil, errors.New("hello spans several records")
	}
	return append(hdr, rec...), nil
}

type cpu struct{ user, total float64 } // seconds

func (a cpu) sub(b cpu) cpu { return cpu{a.user - b.user, a.total - b.total} }

// cpuOf reads the user and system time of a process, its threads
// included, from /proc/PID/stat.
func cpuOf(pid int) cpu {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return cpu{}
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return cpu{u / 100, (u + s) / 100}
}

// othersBusy returns the CPU time every process but ours and the proxies used.
func othersBusy(procs []*proc) cpu {
	b, _ := os.ReadFile("/proc/stat")
	line, _, _ := strings.Cut(string(b), "\n")
	var busy float64
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseFloat(f, 64)
		if i != 3 && i != 4 && i < 8 { // not idle, iowait, guest
			busy += v
		}
	}
	busy /= 100
	busy -= cpuOf(os.Getpid()).total
	for _, p := range procs {
		busy -= cpuOf(p.cmd.Process.Pid).total
	}
	return cpu{0, busy}
}

func rssOf(pid int) int64 { // KiB
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for l := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}

// settle waits, up to 20s, until a process's RSS moved less than 32 KiB in
// a second: the Go runtime returns freed memory to the system in the
// background for a while after a burst of load.
func settle(pid int) {
	prev := rssOf(pid)
	for range 20 {
		time.Sleep(time.Second)
		r := rssOf(pid)
		if d := r - prev; d < 32 && d > -32 {
			return
		}
		prev = r
	}
}

// goHeld reads sniproxy's sniproxy_go_memory_held_bytes from its metrics
// endpoint; 0 without one.
func goHeld(admin string) int64 {
	if admin == "" {
		return 0
	}
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + admin + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for l := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(l, "sniproxy_go_memory_held_bytes "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

func fdsOf(pid int) int {
	e, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(e)
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.TrimSpace(string(b))
}

func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func waitPort(addr string) error {
	for range 100 {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s does not accept connections", addr)
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func medianF(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

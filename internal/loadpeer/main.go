// Command loadpeer is inetaf/tcpproxy's SNI router set up as the load
// harness of examples/sniproxy sets up HAProxy and sniproxy: one listener,
// the host names of a file (one a line) routed to one backend with a PROXY
// header, so that the harness can measure it beside them. tcpproxy sends
// PROXY v1 only (its DialProxy refuses v2); its SNI routes are matched in
// order, so the names go through one route func over a map, as a router
// with many names would be written.
//
//	loadpeer -listen 127.0.0.1:8443 -hosts hosts.txt -backend 127.0.0.1:9443
//
// It lives in a module of its own so that the SDK's go.mod does not
// require tcpproxy.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/inetaf/tcpproxy"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8443", "`address` to listen on")
	hosts := flag.String("hosts", "", "`file` of host names, one a line")
	backend := flag.String("backend", "", "`address` every host is relayed to, with a PROXY v1 header")
	flag.Parse()
	if err := run(*listen, *hosts, *backend); err != nil {
		fmt.Fprintln(os.Stderr, "loadpeer:", err)
		os.Exit(1)
	}
}

func run(listen, file, backend string) error {
	if file == "" || backend == "" {
		return fmt.Errorf("give -hosts and -backend")
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	names := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if n := strings.TrimSpace(sc.Text()); n != "" {
			names[strings.ToLower(n)] = true
		}
	}
	f.Close()
	if err := sc.Err(); err != nil {
		return err
	}
	target := &tcpproxy.DialProxy{Addr: backend, ProxyProtocolVersion: 1}
	var p tcpproxy.Proxy
	p.AddSNIRouteFunc(listen, func(_ context.Context, sni string) (tcpproxy.Target, bool) {
		if names[strings.ToLower(sni)] {
			return target, true
		}
		return nil, false
	})
	return p.Run()
}

package proxyproto_test

import (
	"fmt"
	"io"
	"net"
	"net/netip"

	"github.com/drawbridge-go/drawbridge/proxyproto"
)

func ExampleListener() {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	ln := &proxyproto.Listener{
		Listener: inner,
		// Only the load balancers may send a header; everyone else is refused.
		Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
	}
	defer ln.Close()

	// A proxy connects and sends the header, then the client's bytes.
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "PROXY TCP4 203.0.113.7 198.51.100.2 40000 443\r\nhello")
		io.ReadAll(c)
	}()

	c, err := ln.Accept()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	buf := make([]byte, 5)
	io.ReadFull(c, buf)
	fmt.Println(c.RemoteAddr(), string(buf))
	// Output: 203.0.113.7:40000 hello
}

package proxyproto_test

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/drawbridge-go/drawbridge/proxyproto"
)

// The same header in both versions: Version picks the wire form.
func ExampleHeader_AppendBinary() {
	h := proxyproto.Header{
		Version: 1, Command: proxyproto.Proxy, Transport: proxyproto.TCP6,
		Source:      netip.MustParseAddrPort("[2001:db8::1]:51234"),
		Destination: netip.MustParseAddrPort("192.0.2.7:443"), // sent as ::ffff:192.0.2.7
	}
	b, _ := h.AppendBinary(nil)
	fmt.Printf("%q\n", b)
	h.Version = 2
	b, _ = h.AppendBinary(b[:0])
	fmt.Println(len(b), "bytes in v2")
	// Output:
	// "PROXY TCP6 2001:db8::1 ::ffff:192.0.2.7 51234 443\r\n"
	// 52 bytes in v2
}

// A proxy sends its upstream the client's addresses, with the server name
// the client asked for in an AUTHORITY TLV.
func ExampleFromAddrs() {
	client := &net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 51234} // c.RemoteAddr()
	local := &net.TCPAddr{IP: net.ParseIP("198.51.100.2"), Port: 443} // c.LocalAddr()
	h := proxyproto.FromAddrs(client, local)
	h.TLVs, _ = proxyproto.AppendTLV(nil, proxyproto.TypeAuthority, []byte("app.example.com"))
	b, _ := h.AppendBinary(nil)
	fmt.Println(h.Transport, h.Source, h.Destination, len(b), "bytes")
	// Output:
	// TCP4 192.0.2.1:51234 198.51.100.2:443 46 bytes
}

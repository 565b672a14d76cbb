package proxyproto_test

import (
	"net"
	"net/netip"
	"testing"

	"github.com/drawbridge-go/drawbridge/proxyproto"
)

func TestFromAddrs(t *testing.T) {
	tcp := func(s string) net.Addr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }
	udp := func(s string) net.Addr { return net.UDPAddrFromAddrPort(netip.MustParseAddrPort(s)) }
	ap := netip.MustParseAddrPort
	local := proxyproto.Header{Version: 2, Command: proxyproto.Local}
	for _, tc := range []struct {
		name     string
		src, dst net.Addr
		want     proxyproto.Header
		v1       string // the v1 line
	}{
		{"tcp4", tcp("192.0.2.1:51234"), tcp("198.51.100.2:443"),
			proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Transport: proxyproto.TCP4, Source: ap("192.0.2.1:51234"), Destination: ap("198.51.100.2:443")},
			"PROXY TCP4 192.0.2.1 198.51.100.2 51234 443\r\n"},
		{"tcp4 mapped", tcp("[::ffff:192.0.2.1]:51234"), tcp("[::ffff:198.51.100.2]:443"),
			proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Transport: proxyproto.TCP4, Source: ap("192.0.2.1:51234"), Destination: ap("198.51.100.2:443")},
			"PROXY TCP4 192.0.2.1 198.51.100.2 51234 443\r\n"},
		{"tcp6", tcp("[2001:db8::1%eth0]:51234"), tcp("[2001:db8::2]:443"),
			proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Transport: proxyproto.TCP6, Source: ap("[2001:db8::1]:51234"), Destination: ap("[2001:db8::2]:443")},
			"PROXY TCP6 2001:db8::1 2001:db8::2 51234 443\r\n"},
		{"tcp mixed", tcp("192.0.2.1:51234"), tcp("[2001:db8::2]:443"),
			proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Transport: proxyproto.TCP6, Source: ap("[::ffff:192.0.2.1]:51234"), Destination: ap("[2001:db8::2]:443")},
			"PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 51234 443\r\n"},
		{"udp4", udp("192.0.2.1:5353"), udp("198.51.100.2:53"),
			proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Transport: proxyproto.UDP4, Source: ap("192.0.2.1:5353"), Destination: ap("198.51.100.2:53")},
			""},
		{"unix", &net.UnixAddr{Name: "/run/client.sock", Net: "unix"}, &net.UnixAddr{Name: "/run/edge.sock", Net: "unix"},
			proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Transport: proxyproto.UnixStream, SourcePath: "/run/client.sock", DestinationPath: "/run/edge.sock"},
			""},
		{"unixgram", &net.UnixAddr{Name: "a", Net: "unixgram"}, &net.UnixAddr{Name: "b", Net: "unixgram"},
			proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Transport: proxyproto.UnixDatagram, SourcePath: "a", DestinationPath: "b"}, ""},
		{"mixed kinds", tcp("192.0.2.1:1"), udp("192.0.2.2:2"), local, "PROXY UNKNOWN\r\n"},
		{"nil", nil, nil, local, "PROXY UNKNOWN\r\n"},
		{"nil tcp", (*net.TCPAddr)(nil), tcp("192.0.2.2:2"), local, "PROXY UNKNOWN\r\n"},
		{"unix packet", &net.UnixAddr{Name: "a", Net: "unixpacket"}, &net.UnixAddr{Name: "b", Net: "unixpacket"}, local, "PROXY UNKNOWN\r\n"},
	} {
		h := proxyproto.FromAddrs(tc.src, tc.dst)
		if !h.Equal(tc.want) {
			t.Errorf("%s: FromAddrs = %+v; want %+v", tc.name, h, tc.want)
			continue
		}
		// The header encodes and decodes to itself.
		b, err := h.AppendBinary(nil)
		if err != nil {
			t.Errorf("%s: AppendBinary: %v", tc.name, err)
			continue
		}
		got, n, err := proxyproto.Decode(b)
		if err != nil || n != len(b) || !got.Equal(h) {
			t.Errorf("%s: Decode(AppendBinary) = %+v, %d, %v; want %+v, %d", tc.name, got, n, err, h, len(b))
		}
		if tc.v1 != "" {
			h.Version = 1
			if line, err := h.AppendBinary(nil); err != nil || string(line) != tc.v1 {
				t.Errorf("%s: v1 AppendBinary = %q, %v; want %q", tc.name, line, err, tc.v1)
			}
		}
	}
}

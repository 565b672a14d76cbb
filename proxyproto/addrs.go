package proxyproto

import (
	"net"
	"net/netip"
)

// FromAddrs returns the v2 PROXY header a proxy sends upstream for a
// connection from src to dst, usually the client connection's RemoteAddr
// and LocalAddr:
//
//   - TCP4 or UDP4 when both are IPv4 addresses (IPv4-mapped IPv6 ones
//     included, folded to 4 bytes);
//   - TCP6 or UDP6 when both are IP addresses and one is IPv6 (the other,
//     if IPv4, is then mapped to ::ffff:a.b.c.d); zones are dropped;
//   - UnixStream or UnixDatagram for two *net.UnixAddr of network "unix" or
//     "unixgram";
//   - otherwise (nil, mixed kinds, other address types) a LOCAL header,
//     which tells the receiver to use the connection's own addresses.
//
// Set Version to 1 for a text header (v1 carries TCP addresses or none:
// [Header.AppendBinary] refuses the others) and add TLVs (v2) before encoding.
func FromAddrs(src, dst net.Addr) Header {
	h := Header{Version: 2, Command: Proxy}
	switch s := src.(type) {
	case *net.TCPAddr:
		d, ok := dst.(*net.TCPAddr)
		if ok && ipHeader(&h, s.AddrPort(), d.AddrPort(), TCP4, TCP6) {
			return h
		}
	case *net.UDPAddr:
		d, ok := dst.(*net.UDPAddr)
		if ok && ipHeader(&h, s.AddrPort(), d.AddrPort(), UDP4, UDP6) {
			return h
		}
	case *net.UnixAddr:
		d, ok := dst.(*net.UnixAddr)
		if ok && s != nil && d != nil && s.Net == d.Net && (s.Net == "unix" || s.Net == "unixgram") {
			h.Transport, h.SourcePath, h.DestinationPath = UnixStream, s.Name, d.Name
			if s.Net == "unixgram" {
				h.Transport = UnixDatagram
			}
			return h
		}
	}
	return Header{Version: 2, Command: Local}
}

// ipHeader fills h's addresses and transport (v4 or v6) from s and d; it
// reports false when either is not an IP address.
func ipHeader(h *Header, s, d netip.AddrPort, v4, v6 Transport) bool {
	sa, da := s.Addr().Unmap().WithZone(""), d.Addr().Unmap().WithZone("")
	if !sa.IsValid() || !da.IsValid() {
		return false
	}
	h.Transport = v4
	if !sa.Is4() || !da.Is4() {
		h.Transport = v6
		sa, da = netip.AddrFrom16(sa.As16()), netip.AddrFrom16(da.As16())
	}
	h.Source, h.Destination = netip.AddrPortFrom(sa, s.Port()), netip.AddrPortFrom(da, d.Port())
	return true
}

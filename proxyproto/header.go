package proxyproto

import (
	"bytes"
	"net/netip"
	"strconv"
)

// Command is the v2 command (section 2.2, low nibble of the 13th byte).
type Command uint8

const (
	// Local means the proxy opened the connection itself (a health check):
	// the receiver uses the real connection endpoints. A v1 "UNKNOWN" line
	// decodes as Local too: the spec gives it the same meaning.
	Local Command = 0x0
	// Proxy means the connection is relayed for a client whose endpoints the
	// header carries.
	Proxy Command = 0x1
)

// String returns "LOCAL", "PROXY" or "0xN".
func (c Command) String() string {
	switch c {
	case Local:
		return "LOCAL"
	case Proxy:
		return "PROXY"
	}
	return "0x" + strconv.FormatUint(uint64(c), 16)
}

// Transport is the v2 address family and transport protocol byte (section
// 2.2, 14th byte): family in the high nibble, protocol in the low one.
type Transport uint8

// The transport bytes the spec defines; every other value is invalid.
const (
	Unspec       Transport = 0x00 // AF_UNSPEC: no address block to use
	TCP4         Transport = 0x11 // TCP over IPv4, 12 address bytes
	UDP4         Transport = 0x12 // UDP over IPv4, 12 address bytes
	TCP6         Transport = 0x21 // TCP over IPv6, 36 address bytes
	UDP6         Transport = 0x22 // UDP over IPv6, 36 address bytes
	UnixStream   Transport = 0x31 // AF_UNIX SOCK_STREAM, 216 address bytes
	UnixDatagram Transport = 0x32 // AF_UNIX SOCK_DGRAM, 216 address bytes
)

// addrLen1 maps each Transport to its address block length plus one, and
// the undefined ones to 0.
var addrLen1 = [256]uint8{Unspec: 1, TCP4: 13, UDP4: 13, TCP6: 37, UDP6: 37, UnixStream: 217, UnixDatagram: 217}

// addrLen returns the address block length of t and whether t is defined.
func (t Transport) addrLen() (int, bool) {
	n := addrLen1[t]
	if n == 0 {
		return 0, false
	}
	return int(n) - 1, true
}

// IsValid reports whether t is one of the values defined by the spec.
func (t Transport) IsValid() bool { return addrLen1[t] != 0 }

// IsIP reports whether t carries IPv4 or IPv6 addresses and ports.
func (t Transport) IsIP() bool { return t == TCP4 || t == UDP4 || t == TCP6 || t == UDP6 }

// IsUnix reports whether t carries AF_UNIX paths.
func (t Transport) IsUnix() bool { return t == UnixStream || t == UnixDatagram }

// IsStream reports whether t is a SOCK_STREAM transport (TCP, UNIX stream).
func (t Transport) IsStream() bool { return t&0x0f == 0x1 && t.IsValid() }

// IsDatagram reports whether t is a SOCK_DGRAM transport (UDP, UNIX datagram).
func (t Transport) IsDatagram() bool { return t&0x0f == 0x2 && t.IsValid() }

// String returns "UNSPEC", "TCP4", "UDP4", "TCP6", "UDP6", "UNIX_STREAM",
// "UNIX_DGRAM" or "0xNN".
func (t Transport) String() string {
	switch t {
	case Unspec:
		return "UNSPEC"
	case TCP4:
		return "TCP4"
	case UDP4:
		return "UDP4"
	case TCP6:
		return "TCP6"
	case UDP6:
		return "UDP6"
	case UnixStream:
		return "UNIX_STREAM"
	case UnixDatagram:
		return "UNIX_DGRAM"
	}
	return "0x" + string([]byte{hexDigits[t>>4], hexDigits[t&0xf]})
}

// Header is a decoded PROXY protocol header, v1 or v2. It is a small value:
// copy it freely. Its zero value is not a valid header (Version 0).
//
// Addresses are set only for [Proxy] headers: Source and Destination for the
// IP transports, SourcePath and DestinationPath for the UNIX ones. A [Local]
// header (v2 LOCAL, v1 UNKNOWN) and a PROXY header with the [Unspec]
// transport carry none: the receiver uses the real connection endpoints
// (section 2.2).
//
// TLVs is a view into the decoded bytes (see [Decode]); it is empty for v1
// and for LOCAL headers, whose bytes past the fixed header are skipped
// unparsed, as HAProxy does.
//
// Header holds a slice, so it is not comparable with ==; use [Header.Equal].
type Header struct {
	// Version is 1 (text) or 2 (binary).
	Version uint8
	// Command is [Local] or [Proxy].
	Command Command
	// Transport is the address family and protocol. It is [Unspec] for LOCAL
	// headers and v1 UNKNOWN lines.
	Transport Transport
	// Source and Destination are the client and the address it connected
	// to, for the IP transports. IPv4 addresses are 4-byte addresses for
	// TCP4/UDP4 and 16-byte ones for TCP6/UDP6 (an IPv4 client behind an
	// IPv6 frontend arrives as ::ffff:a.b.c.d; use Addr().Unmap() to fold it).
	Source, Destination netip.AddrPort
	// SourcePath and DestinationPath are the AF_UNIX socket paths, without
	// the NUL padding, for the UNIX transports.
	SourcePath, DestinationPath string
	// TLVs are the type-length-value vectors that follow the addresses (v2
	// only), validated by the decoder.
	TLVs TLVs
}

// Equal reports whether h and o describe the same header: same fields and
// byte-identical TLVs.
func (h Header) Equal(o Header) bool {
	return h.Version == o.Version && h.Command == o.Command && h.Transport == o.Transport &&
		h.Source == o.Source && h.Destination == o.Destination &&
		h.SourcePath == o.SourcePath && h.DestinationPath == o.DestinationPath &&
		bytes.Equal(h.TLVs, o.TLVs)
}

// IsProxy reports whether h carries addresses the receiver should use: a
// PROXY command with an IP or UNIX transport.
func (h Header) IsProxy() bool {
	return h.Command == Proxy && (h.Transport.IsIP() || h.Transport.IsUnix())
}

// ClientCertVerified reports whether the SSL TLV says a client certificate
// was presented and verified; see [SSL.ClientCertVerified].
func (h Header) ClientCertVerified() bool {
	s, ok := h.TLVs.SSL()
	return ok && s.ClientCertVerified()
}

// String returns a one-line human form, e.g.
// "v2 PROXY TCP4 192.0.2.1:51234 -> 198.51.100.2:443 (3 TLVs)". It is not
// the wire form: use [Header.AppendBinary] for that.
func (h Header) String() string {
	b := make([]byte, 0, 96)
	b = append(b, 'v')
	b = strconv.AppendUint(b, uint64(h.Version), 10)
	b = append(b, ' ')
	b = append(b, h.Command.String()...)
	b = append(b, ' ')
	b = append(b, h.Transport.String()...)
	switch {
	case h.Transport.IsIP() && h.Command == Proxy:
		b = append(b, ' ')
		b = h.Source.AppendTo(b)
		b = append(b, " -> "...)
		b = h.Destination.AppendTo(b)
	case h.Transport.IsUnix() && h.Command == Proxy:
		b = append(b, ' ')
		b = strconv.AppendQuote(b, h.SourcePath)
		b = append(b, " -> "...)
		b = strconv.AppendQuote(b, h.DestinationPath)
	}
	if n := h.TLVs.Len(); n > 0 {
		b = append(b, " ("...)
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, " TLVs)"...)
	}
	return string(b)
}

const hexDigits = "0123456789abcdef"

package proxyproto

import (
	"errors"
	"net"
	"net/netip"

	pires "github.com/pires/go-proxyproto"
)

var errPiresAddr = errors.New("proxyproto: pires header addresses do not match its transport")

// ToPires converts h to a github.com/pires/go-proxyproto header, for code
// that already uses that package. A [Local] header becomes pires' LOCAL
// (v1 UNKNOWN); TLVs are copied.
func ToPires(h Header) (*pires.Header, error) {
	p := &pires.Header{Version: h.Version, Command: pires.PROXY, TransportProtocol: pires.AddressFamilyAndProtocol(h.Transport)}
	if h.Command == Local {
		p.Command, p.TransportProtocol = pires.LOCAL, pires.UNSPEC
		return p, nil
	}
	switch h.Transport {
	case TCP4, TCP6:
		p.SourceAddr = net.TCPAddrFromAddrPort(pAddr(h.Transport, h.Source))
		p.DestinationAddr = net.TCPAddrFromAddrPort(pAddr(h.Transport, h.Destination))
	case UDP4, UDP6:
		p.SourceAddr = net.UDPAddrFromAddrPort(pAddr(h.Transport, h.Source))
		p.DestinationAddr = net.UDPAddrFromAddrPort(pAddr(h.Transport, h.Destination))
	case UnixStream, UnixDatagram:
		network := "unix"
		if h.Transport == UnixDatagram {
			network = "unixgram"
		}
		p.SourceAddr = &net.UnixAddr{Net: network, Name: h.SourcePath}
		p.DestinationAddr = &net.UnixAddr{Net: network, Name: h.DestinationPath}
	}
	if len(h.TLVs) > 0 {
		tlvs, err := pires.SplitTLVs(h.TLVs)
		if err != nil {
			return nil, err
		}
		if err := p.SetTLVs(tlvs); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func pAddr(t Transport, ap netip.AddrPort) netip.AddrPort {
	a := ap.Addr()
	if t == TCP4 || t == UDP4 {
		a = a.Unmap()
	}
	return netip.AddrPortFrom(a.WithZone(""), ap.Port())
}

// FromPires converts a github.com/pires/go-proxyproto header. IPv4
// addresses of TCP4/UDP4 headers are 4-byte addresses, those of TCP6/UDP6
// headers 16-byte ones, as [Decode] returns them. The TLVs are copied and
// checked like [Decode] does, except the CRC32C, which only the wire form
// can verify.
func FromPires(p *pires.Header) (Header, error) {
	if p == nil {
		return Header{}, errors.New("proxyproto: nil pires header")
	}
	h := Header{Version: p.Version, Command: Proxy, Transport: Transport(p.TransportProtocol)}
	if p.Version != 1 && p.Version != 2 {
		return Header{}, errEncVersion
	}
	if !h.Transport.IsValid() {
		return Header{}, errEncTransport
	}
	if p.Command == pires.LOCAL {
		return Header{Version: p.Version, Command: Local}, nil
	}
	if p.Command != pires.PROXY {
		return Header{}, errEncCommand
	}
	if p.Version == 1 && h.Transport == Unspec {
		return Header{Version: 1, Command: Local}, nil
	}
	ok := true
	switch h.Transport {
	case TCP4, TCP6:
		s, ok1 := p.SourceAddr.(*net.TCPAddr)
		d, ok2 := p.DestinationAddr.(*net.TCPAddr)
		if ok = ok1 && ok2 && s != nil && d != nil; ok {
			h.Source, h.Destination = fromIP(h.Transport, s.IP, s.Port), fromIP(h.Transport, d.IP, d.Port)
		}
	case UDP4, UDP6:
		s, ok1 := p.SourceAddr.(*net.UDPAddr)
		d, ok2 := p.DestinationAddr.(*net.UDPAddr)
		if ok = ok1 && ok2 && s != nil && d != nil; ok {
			h.Source, h.Destination = fromIP(h.Transport, s.IP, s.Port), fromIP(h.Transport, d.IP, d.Port)
		}
	case UnixStream, UnixDatagram:
		s, ok1 := p.SourceAddr.(*net.UnixAddr)
		d, ok2 := p.DestinationAddr.(*net.UnixAddr)
		if ok = ok1 && ok2 && s != nil && d != nil; ok {
			h.SourcePath, h.DestinationPath = s.Name, d.Name
		}
	}
	if !ok || ((h.Transport.IsIP()) && (!h.Source.IsValid() || !h.Destination.IsValid())) {
		return Header{}, errPiresAddr
	}
	// p.TLVs() drops NOOP TLVs; the wire form keeps every byte.
	var raw TLVs
	if p.Version == 2 {
		wire, err := p.Format()
		if err != nil {
			return Header{}, err
		}
		alen, _ := h.Transport.addrLen()
		if len(wire) > 16+alen {
			raw = TLVs(wire[16+alen:])
		}
	}
	if len(raw) > 0 {
		var p problem
		if _, ok := checkTLVs(raw, 0, &p); !ok {
			return Header{}, p.err()
		}
		h.TLVs = raw
	}
	return h, nil
}

func fromIP(t Transport, ip net.IP, port int) netip.AddrPort {
	if port < 0 || port > 0xffff {
		return netip.AddrPort{}
	}
	var a netip.Addr
	if t == TCP4 || t == UDP4 {
		if v4 := ip.To4(); v4 != nil {
			a = netip.AddrFrom4([4]byte(v4))
		}
	} else if v16 := ip.To16(); v16 != nil {
		a = netip.AddrFrom16([16]byte(v16))
	}
	return netip.AddrPortFrom(a, uint16(port))
}

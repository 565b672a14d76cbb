package proxyproto

import (
	"encoding"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

var (
	errEncVersion   = errors.New("proxyproto: cannot encode: version is neither 1 nor 2")
	errEncCommand   = errors.New("proxyproto: cannot encode: command is neither LOCAL nor PROXY")
	errEncTransport = errors.New("proxyproto: cannot encode: undefined transport")
	errEncV1        = errors.New("proxyproto: cannot encode: v1 carries only TCP4, TCP6 and UNKNOWN, without TLVs")
	errEncAddr      = errors.New("proxyproto: cannot encode: address does not match the transport")
	errEncPath      = errors.New("proxyproto: cannot encode: UNIX path longer than 108 bytes or with a NUL")
	errEncLen       = errors.New("proxyproto: cannot encode: header longer than 65551 bytes")
	errEncTLV       = errors.New("proxyproto: cannot encode: malformed TLVs")
	errEncTLVLen    = errors.New("proxyproto: cannot encode: TLV value longer than 65535 bytes")
)

var (
	_ encoding.BinaryAppender  = Header{}
	_ encoding.BinaryMarshaler = Header{}
	_ io.WriterTo              = Header{}
)

// AppendBinary appends the wire form of h to b, as h.Version says: the v1
// line of text or the v2 binary form. It implements
// [encoding.BinaryAppender] and allocates nothing when b has room.
//
// In v1, a [Local] header or the [Unspec] transport is sent as
// "PROXY UNKNOWN\r\n"; v1 carries only TCP4 and TCP6 addresses and no TLVs,
// and writes IPv4 addresses on TCP6 as ::ffff:a.b.c.d.
//
// In v2, a [Local] header is sent as HAProxy sends health checks: family
// UNSPEC, no address, no TLV. The TLVs are copied as they are, except that
// a CRC32C TLV gets the checksum of the final header (section 2.2.3); build
// them with [TLVOptions] to follow HAProxy's order.
//
// In both, IPv4 transports need IPv4 (or IPv4-mapped) addresses; IPv6
// transports write IPv4 addresses in their mapped form. A Version other
// than 1 or 2 is an error.
func (h Header) AppendBinary(b []byte) ([]byte, error) {
	switch h.Version {
	case 1:
		return appendV1(&h, b)
	case 2:
		return appendV2(&h, b)
	}
	return b, errEncVersion
}

// MarshalBinary returns the wire form of h; see [Header.AppendBinary]. It
// implements [encoding.BinaryMarshaler].
func (h Header) MarshalBinary() ([]byte, error) {
	return h.AppendBinary(make([]byte, 0, 64+len(h.TLVs)))
}

// WriteTo writes the wire form of h to w in one Write call, as the spec
// asks senders to do (section 2).
func (h Header) WriteTo(w io.Writer) (int64, error) {
	var buf [128]byte
	b, err := h.AppendBinary(buf[:0])
	if err != nil {
		return 0, err
	}
	n, err := w.Write(b)
	return int64(n), err
}

// appendV2 appends the v2 binary form of h to b.
func appendV2(h *Header, b []byte) ([]byte, error) {
	if (h.Transport == TCP4 || h.Transport == UDP4) && h.Command == Proxy && len(h.TLVs) == 0 {
		// Fast path: the 28 bytes written in place.
		s, d := h.Source.Addr(), h.Destination.Addr()
		if !(s.Is4() || s.Is4In6()) || !(d.Is4() || d.Is4In6()) {
			return b, errEncAddr
		}
		s4, d4 := s.As4(), d.As4()
		sp, dp := h.Source.Port(), h.Destination.Port()
		n := len(b)
		b = slices.Grow(b, 16+12)[:n+16+12]
		w := (*[16 + 12]byte)(b[n:])
		binary.LittleEndian.PutUint64(w[0:], sigV2Lo)
		binary.LittleEndian.PutUint32(w[8:], sigV2Hi)
		w[12], w[13], w[14], w[15] = 0x21, byte(h.Transport), 0, 12
		*(*[4]byte)(w[16:]) = s4
		*(*[4]byte)(w[20:]) = d4
		binary.BigEndian.PutUint16(w[24:], sp)
		binary.BigEndian.PutUint16(w[26:], dp)
		return b, nil
	}
	switch h.Command {
	case Local:
		return append(b, sigV2+"\x20\x00\x00\x00"...), nil
	case Proxy:
	default:
		return b, errEncCommand
	}
	alen, ok := h.Transport.addrLen()
	if !ok {
		return b, errEncTransport
	}
	l := alen + len(h.TLVs)
	if l > 0xffff {
		return b, errEncLen
	}
	start := len(b)
	b = append(b, sigV2...)
	b = append(b, 0x21, byte(h.Transport), byte(l>>8), byte(l))
	switch h.Transport {
	case TCP4, UDP4:
		s, d := h.Source.Addr().Unmap(), h.Destination.Addr().Unmap()
		if !s.Is4() || !d.Is4() {
			return b[:start], errEncAddr
		}
		s4, d4 := s.As4(), d.As4()
		sp, dp := h.Source.Port(), h.Destination.Port()
		b = append(b, s4[0], s4[1], s4[2], s4[3], d4[0], d4[1], d4[2], d4[3],
			byte(sp>>8), byte(sp), byte(dp>>8), byte(dp))
	case TCP6, UDP6:
		s, d := h.Source.Addr(), h.Destination.Addr()
		if !s.IsValid() || !d.IsValid() {
			return b[:start], errEncAddr
		}
		s16, d16 := s.As16(), d.As16()
		sp, dp := h.Source.Port(), h.Destination.Port()
		b = append(b, s16[:]...)
		b = append(b, d16[:]...)
		b = append(b, byte(sp>>8), byte(sp), byte(dp>>8), byte(dp))
	case UnixStream, UnixDatagram:
		var ok1, ok2 bool
		if b, ok1 = appendUnixPath(b, h.SourcePath); ok1 {
			b, ok2 = appendUnixPath(b, h.DestinationPath)
		}
		if !ok1 || !ok2 {
			return b[:start], errEncPath
		}
	}
	if len(h.TLVs) > 0 {
		var p problem
		crcAt, ok := checkTLVs(h.TLVs, 0, &p)
		if !ok {
			return b[:start], errEncTLV
		}
		b = append(b, h.TLVs...)
		if crcAt >= 0 {
			at := start + 16 + alen + crcAt
			clear(b[at : at+4])
			c := crc32.Checksum(b[start:], castagnoli)
			b[at], b[at+1], b[at+2], b[at+3] = byte(c>>24), byte(c>>16), byte(c>>8), byte(c)
		}
	}
	return b, nil
}

func appendUnixPath(b []byte, p string) ([]byte, bool) {
	if len(p) > 108 || strings.IndexByte(p, 0) >= 0 {
		return b, false
	}
	b = append(b, p...)
	var pad [108]byte
	return append(b, pad[:108-len(p)]...), true
}

// appendV1 appends the v1 text form of h to b.
func appendV1(h *Header, b []byte) ([]byte, error) {
	if h.Command != Local && h.Command != Proxy {
		return b, errEncCommand
	}
	if h.Command == Local || h.Transport == Unspec {
		return append(b, "PROXY UNKNOWN\r\n"...), nil
	}
	if len(h.TLVs) > 0 || (h.Transport != TCP4 && h.Transport != TCP6) {
		return b, errEncV1
	}
	s, d := h.Source.Addr(), h.Destination.Addr()
	if !s.IsValid() || !d.IsValid() {
		return b, errEncAddr
	}
	start := len(b)
	if h.Transport == TCP4 {
		s, d = s.Unmap(), d.Unmap()
		if !s.Is4() || !d.Is4() {
			return b, errEncAddr
		}
		b = append(b, "PROXY TCP4 "...)
		b = appendV4(b, s.As4())
		b = append(b, ' ')
		b = appendV4(b, d.As4())
	} else {
		b = append(b, "PROXY TCP6 "...)
		b = netip.AddrFrom16(s.As16()).AppendTo(b)
		b = append(b, ' ')
		b = netip.AddrFrom16(d.As16()).AppendTo(b)
	}
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(h.Source.Port()), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(h.Destination.Port()), 10)
	b = append(b, '\r', '\n')
	if len(b)-start > MaxV1Len {
		return b[:start], errEncLen
	}
	return b, nil
}

func appendV4(b []byte, a [4]byte) []byte {
	for i, v := range a {
		if i > 0 {
			b = append(b, '.')
		}
		switch {
		case v >= 100:
			b = append(b, '0'+v/100, '0'+v/10%10, '0'+v%10)
		case v >= 10:
			b = append(b, '0'+v/10, '0'+v%10)
		default:
			b = append(b, '0'+v)
		}
	}
	return b
}

// AppendTLV appends one TLV to t.
func AppendTLV(t TLVs, typ TLVType, value []byte) (TLVs, error) {
	if len(value) > 0xffff {
		return t, errEncTLVLen
	}
	t = append(t, byte(typ), byte(len(value)>>8), byte(len(value)))
	return append(t, value...), nil
}

func appendTLVString(t TLVs, typ TLVType, value string) (TLVs, error) {
	if len(value) > 0xffff {
		return t, errEncTLVLen
	}
	t = append(t, byte(typ), byte(len(value)>>8), byte(len(value)))
	return append(t, value...), nil
}

// TLVOptions lists TLVs to send. [TLVOptions.Append] writes them in the
// order HAProxy uses (CRC32C, ALPN, AUTHORITY, UNIQUE_ID, SSL, NETNS), then
// Extra. Empty fields are left out.
type TLVOptions struct {
	// CRC32C adds a CRC32C TLV, filled in by [Header.AppendBinary].
	CRC32C bool
	// ALPN is the negotiated application protocol, e.g. "h2".
	ALPN []byte
	// Authority is the host name the client asked for (the TLS SNI).
	Authority string
	// UniqueID is an opaque connection ID of at most 128 bytes.
	UniqueID []byte
	// SSL adds the SSL TLV when not nil.
	SSL *SSLOptions
	// NetNS is the network namespace name.
	NetNS string
	// Extra TLVs follow, in order: NOOP padding, cloud or custom types.
	Extra []TLV
}

// SSLOptions is the content of an SSL TLV (section 2.2.6). Sub-TLVs are
// written in HAProxy's order (VERSION, CN, KEY_ALG, SIG_ALG, CIPHER) then
// GROUP, SIG_SCHEME, CLIENT_CERT; empty ones are left out.
type SSLOptions struct {
	Client                                             uint8  // ClientSSL | ClientCertConn | ClientCertSess
	Verify                                             uint32 // 0: certificate verified (or none presented)
	Version, CN, KeyAlg, SigAlg, Cipher, Group, Scheme string
	ClientCert                                         []byte
}

// Append appends the TLVs o describes to t.
func (o TLVOptions) Append(t TLVs) (TLVs, error) {
	var err error
	add := func(typ TLVType, v []byte) {
		if err == nil && len(v) > 0 {
			t, err = AppendTLV(t, typ, v)
		}
	}
	addS := func(typ TLVType, v string) {
		if err == nil && v != "" {
			t, err = appendTLVString(t, typ, v)
		}
	}
	if o.CRC32C {
		t = append(t, byte(TypeCRC32C), 0, 4, 0, 0, 0, 0)
	}
	add(TypeALPN, o.ALPN)
	addS(TypeAuthority, o.Authority)
	if len(o.UniqueID) > MaxUniqueIDLen {
		return t, errEncTLV
	}
	add(TypeUniqueID, o.UniqueID)
	if s := o.SSL; s != nil && err == nil {
		v := TLVs{s.Client, byte(s.Verify >> 24), byte(s.Verify >> 16), byte(s.Verify >> 8), byte(s.Verify)}
		for _, st := range []struct {
			typ TLVType
			v   string
		}{{SubtypeSSLVersion, s.Version}, {SubtypeSSLCN, s.CN}, {SubtypeSSLKeyAlg, s.KeyAlg},
			{SubtypeSSLSigAlg, s.SigAlg}, {SubtypeSSLCipher, s.Cipher}, {SubtypeSSLGroup, s.Group},
			{SubtypeSSLSigScheme, s.Scheme}} {
			if st.v != "" && err == nil {
				v, err = appendTLVString(v, st.typ, st.v)
			}
		}
		if len(s.ClientCert) > 0 && err == nil {
			v, err = AppendTLV(v, SubtypeSSLClientCert, s.ClientCert)
		}
		if err == nil {
			t, err = AppendTLV(t, TypeSSL, v)
		}
	}
	addS(TypeNetNS, o.NetNS)
	for _, x := range o.Extra {
		if err == nil {
			t, err = AppendTLV(t, x.Type, x.Value)
		}
	}
	return t, err
}

package proxyproto

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"net/netip"
)

const (
	// sigV2 is the v2 binary signature (section 2.2).
	sigV2 = "\r\n\r\n\x00\r\nQUIT\n"
	// sigV2Lo and sigV2Hi are sigV2 as little-endian words.
	sigV2Lo = 0x510a0d000a0d0a0d
	sigV2Hi = 0x0a544955
	// sigV1 is the v1 signature and its mandatory space (section 2.1).
	sigV1 = "PROXY "
	// MaxV1Len is the longest v1 line, CRLF included (section 2.1).
	MaxV1Len = 107
	// MaxV2Len is the longest v2 header: 16 bytes and a 16-bit length.
	MaxV2Len = 16 + 0xffff
	// minLen is the shortest header: "PROXY UNKNOWN\r\n".
	minLen = 15
)

// castagnoli is the CRC32C table; crc32 uses SSE4.2 or ARMv8 CRC
// instructions when given this exact table. It is never modified.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Decode decodes the PROXY header, v1 or v2, at the start of b. It returns
// the header and its length n; the bytes after b[:n] belong to the
// application. The header's TLVs alias b.
//
// When b is a strict prefix of a header, the error is an [*Error] of kind
// [ErrShort] whose Need says how many more bytes are needed at least. Other
// errors: [ErrNotProxy] when b starts with neither signature, [ErrInvalidV1],
// [ErrInvalidV2], [ErrTLV], [ErrBadCRC], [ErrTooLong].
//
// Decode allocates nothing for IP headers and on success.
func Decode(b []byte) (h Header, n int, err error) {
	var p problem
	if n = decodeTo(&h, b, &p); n == 0 {
		return Header{}, 0, p.err()
	}
	return h, n, nil
}

// decode fills h, which must be zero, from b. The problem's code is pOK on
// success.
func decode(h *Header, b []byte) (int, problem) {
	var p problem
	n := decodeTo(h, b, &p)
	return n, p
}

// decodeTo fills h, which must be zero, from b and returns the header's
// length, or 0 after describing the failure in *p. The problem travels
// through a pointer so that the success path neither builds nor copies it.
func decodeTo(h *Header, b []byte, p *problem) int {
	if len(b) == 0 {
		return p.short(0, minLen)
	}
	switch b[0] {
	case '\r':
		return decodeV2(h, b, p)
	case 'P':
		return decodeV1(h, b, p)
	}
	return p.bad(pNotProxy, 0, "no PROXY signature")
}

func decodeV2(h *Header, b []byte, p *problem) int {
	// Fast path: the signature as two loads, version 2 with command LOCAL
	// or PROXY, and a defined family; badV2 says which check failed.
	if len(b) < 16 || binary.LittleEndian.Uint64(b) != sigV2Lo || binary.LittleEndian.Uint32(b[8:]) != sigV2Hi ||
		b[12]&^1 != 0x20 || addrLen1[b[13]] == 0 {
		return badV2(b, p)
	}
	fam := Transport(b[13])
	alen := int(addrLen1[fam]) - 1
	l := int(b[14])<<8 | int(b[15])
	total := 16 + l
	if b[12] == 0x20 {
		if len(b) < total {
			return p.short(len(b), total-len(b))
		}
		// Section 2.2: "the receiver must [...] use the real connection
		// endpoints and discard the protocol block including the family",
		// skipping exactly len bytes; HAProxy does not parse TLVs here.
		h.Version, h.Command = 2, Local
		return total
	}
	if l < alen {
		return p.bad(pInvalidV2, 14, "length shorter than the address block")
	}
	if len(b) < total {
		return p.short(len(b), total-len(b))
	}
	h.Version, h.Command, h.Transport = 2, Proxy, fam
	switch fam {
	case TCP4, UDP4:
		a := (*[12]byte)(b[16:28])
		h.Source = netip.AddrPortFrom(netip.AddrFrom4([4]byte(a[0:4])), uint16(a[8])<<8|uint16(a[9]))
		h.Destination = netip.AddrPortFrom(netip.AddrFrom4([4]byte(a[4:8])), uint16(a[10])<<8|uint16(a[11]))
	case TCP6, UDP6:
		a := (*[36]byte)(b[16:52])
		h.Source = netip.AddrPortFrom(netip.AddrFrom16([16]byte(a[0:16])), uint16(a[32])<<8|uint16(a[33]))
		h.Destination = netip.AddrPortFrom(netip.AddrFrom16([16]byte(a[16:32])), uint16(a[34])<<8|uint16(a[35]))
	case UnixStream, UnixDatagram:
		h.SourcePath = unixPath(b[16:124])
		h.DestinationPath = unixPath(b[124:232])
	}
	if total > 16+alen && !decodeTLVs(h, b[:total], 16+alen, p) {
		return 0
	}
	return total
}

// badV2 describes why the first 16 bytes of b, or the prefix of them that
// b holds, are not the start of a valid v2 header, and returns 0.
func badV2(b []byte, p *problem) int {
	if m := min(len(b), len(sigV2)); string(b[:m]) != sigV2[:m] {
		return p.bad(pNotProxy, 0, "no PROXY signature")
	}
	if len(b) > 12 {
		if b[12]>>4 != 2 {
			return p.bad(pInvalidV2, 12, "version is not 2")
		}
		if b[12]&0xf > 1 {
			return p.bad(pInvalidV2, 12, "command is neither LOCAL nor PROXY")
		}
	}
	if len(b) > 13 && !Transport(b[13]).IsValid() {
		return p.bad(pInvalidV2, 13, "undefined address family or transport protocol")
	}
	return p.short(len(b), 16-len(b))
}

// decodeTLVs checks the TLVs in hdr[at:], verifies the CRC32C if there is
// one and sets h.TLVs; ok false means failure, described in *p.
func decodeTLVs(h *Header, hdr []byte, at int, p *problem) bool {
	t := hdr[at:]
	crcAt, ok := checkTLVs(t, at, p)
	if !ok {
		return false
	}
	if crcAt >= 0 {
		c := at + crcAt
		if !crcOK(hdr, c) {
			return p.badTLV(pBadCRC, c-3, TypeCRC32C, "checksum does not match the header")
		}
	}
	h.TLVs = TLVs(t[:len(t):len(t)])
	return true
}

// crcOK reports whether the CRC32C stored at hdr[at:at+4] matches the CRC32C
// of hdr computed with those 4 bytes zeroed (section 2.2.3).
func crcOK(hdr []byte, at int) bool {
	want := uint32(hdr[at])<<24 | uint32(hdr[at+1])<<16 | uint32(hdr[at+2])<<8 | uint32(hdr[at+3])
	c := ^crc32.Update(0, castagnoli, hdr[:at])
	for range 4 { // four zero bytes, without a slice that would escape
		c = castagnoli[byte(c)] ^ c>>8
	}
	c = crc32.Update(^c, castagnoli, hdr[at+4:])
	return c == want
}

// unixPath returns the path in a NUL-padded 108-byte sun_path.
func unixPath(p []byte) string {
	if i := bytes.IndexByte(p, 0); i >= 0 {
		p = p[:i]
	}
	return string(p)
}

func decodeV1(h *Header, b []byte, p *problem) int {
	if len(b) < len(sigV1) || string(b[:len(sigV1)]) != sigV1 {
		if m := min(len(b), len(sigV1)); string(b[:m]) != sigV1[:m] {
			if m == len(sigV1) && string(b[:5]) == "PROXY" {
				return p.bad(pInvalidV1, 5, "PROXY not followed by exactly one space")
			}
			return p.bad(pNotProxy, 0, "no PROXY signature")
		}
	}
	lim := min(len(b), MaxV1Len)
	cr := bytes.IndexByte(b[:lim], '\r')
	end := cr
	if cr < 0 {
		end = lim
	}
	if bytes.IndexByte(b[:end], '\n') >= 0 {
		return p.bad(pInvalidV1, bytes.IndexByte(b[:end], '\n'), "line ends with a bare LF")
	}
	switch {
	case cr < 0 && lim == MaxV1Len, cr == MaxV1Len-1:
		return p.bad(pTooLong, MaxV1Len, "no CRLF in the first 107 bytes")
	case cr < 0 || cr+1 == len(b):
		return p.short(len(b), max(1, minLen-len(b)))
	case b[cr+1] != '\n':
		return p.bad(pInvalidV1, cr, "CR not followed by LF")
	}
	n := cr + 2
	line := b[:cr]
	i := len(sigV1)
	rest := line[i:]
	switch {
	case len(rest) >= 7 && string(rest[:7]) == "UNKNOWN" && (len(rest) == 7 || rest[7] == ' '):
		// Section 2.1: after the UNKNOWN token "the receiver must ignore
		// anything presented before the CRLF is found" and use the real
		// connection endpoints.
		h.Version, h.Command = 1, Local
		return n
	case len(rest) >= 5 && string(rest[:5]) == "TCP4 ":
		h.Transport = TCP4
	case len(rest) >= 5 && string(rest[:5]) == "TCP6 ":
		h.Transport = TCP6
	default:
		return p.bad(pInvalidV1, i, "protocol is not TCP4, TCP6 or UNKNOWN")
	}
	i += 5
	var src, dst netip.Addr
	var ok bool
	if h.Transport == TCP4 {
		var s4, d4 [4]byte
		if s4, i, ok = parseV4Bytes(line, i); !ok || i >= len(line) || line[i] != ' ' {
			return p.bad(pInvalidV1, i, "bad IPv4 source address")
		}
		if d4, i, ok = parseV4Bytes(line, i+1); !ok || i >= len(line) || line[i] != ' ' {
			return p.bad(pInvalidV1, i, "bad IPv4 destination address")
		}
		src, dst = netip.AddrFrom4(s4), netip.AddrFrom4(d4)
	} else {
		if src, i, ok = parseV6(line, i); !ok || i >= len(line) || line[i] != ' ' {
			return p.bad(pInvalidV1, i, "bad IPv6 source address")
		}
		if dst, i, ok = parseV6(line, i+1); !ok || i >= len(line) || line[i] != ' ' {
			return p.bad(pInvalidV1, i, "bad IPv6 destination address")
		}
	}
	var sp, dp uint32
	if sp, i, ok = parseDec(line, i+1); !ok || sp > 0xffff || i >= len(line) || line[i] != ' ' {
		return p.bad(pInvalidV1, i, "bad source port")
	}
	if dp, i, ok = parseDec(line, i+1); !ok || dp > 0xffff || i != len(line) {
		return p.bad(pInvalidV1, i, "bad destination port")
	}
	h.Version = 1
	h.Command = Proxy
	h.Source = netip.AddrPortFrom(src, uint16(sp))
	h.Destination = netip.AddrPortFrom(dst, uint16(dp))
	return n
}

// parseDec reads a decimal number of at most 5 digits without a leading
// zero starting at b[i] (section 2.1: "Heading zeroes are not permitted").
func parseDec(b []byte, i int) (v uint32, next int, ok bool) {
	j := i
	for j < len(b) && j-i < 6 && b[j]-'0' <= 9 {
		v = v*10 + uint32(b[j]-'0')
		j++
	}
	if j == i || j-i > 5 || (b[i] == '0' && j-i > 1) {
		return 0, j, false
	}
	return v, j, true
}

// parseV4Bytes reads a dotted-quad IPv4 address at b[i]: exactly 4 decimal
// numbers in [0,255] without leading zeros.
func parseV4Bytes(b []byte, i int) (a [4]byte, j int, ok bool) {
	j = i
	for k := range 4 {
		if k > 0 {
			if j >= len(b) || b[j] != '.' {
				return a, j, false
			}
			j++
		}
		var v uint32
		if v, j, ok = parseDec(b, j); !ok || v > 255 {
			return a, j, false
		}
		a[k] = byte(v)
	}
	return a, j, true
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c-'0' <= 9:
		return c - '0', true
	case c-'a' <= 5:
		return c - 'a' + 10, true
	case c-'A' <= 5:
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseV6 reads an IPv6 address at b[i] up to the next space or the end:
// groups of 1 to 4 hex digits, at most one "::" standing for at least one
// zero group, optionally ending in a dotted quad (so "::ffff:a.b.c.d" is
// accepted, as inet_pton does); no zone.
func parseV6(b []byte, i int) (netip.Addr, int, bool) {
	var ip [16]byte
	ellipsis := -1
	k := 0 // bytes of ip written
	j := i
	if j+1 < len(b) && b[j] == ':' && b[j+1] == ':' {
		ellipsis = 0
		j += 2
		if j >= len(b) || b[j] == ' ' {
			return netip.AddrFrom16(ip), j, true
		}
	}
	for {
		start := j
		var v uint32
		for j < len(b) && j-start < 5 {
			d, ok := hexVal(b[j])
			if !ok {
				break
			}
			v = v<<4 | uint32(d)
			j++
		}
		if j < len(b) && b[j] == '.' {
			// Trailing dotted quad: the last 32 bits.
			if k > 12 {
				return netip.Addr{}, j, false
			}
			a, jj, ok := parseV4Bytes(b, start)
			if !ok {
				return netip.Addr{}, jj, false
			}
			copy(ip[k:], a[:])
			k += 4
			j = jj
			break
		}
		if j == start || j-start > 4 || k > 14 {
			return netip.Addr{}, j, false
		}
		ip[k], ip[k+1] = byte(v>>8), byte(v)
		k += 2
		if j >= len(b) || b[j] == ' ' {
			break
		}
		if b[j] != ':' {
			return netip.Addr{}, j, false
		}
		j++
		if j < len(b) && b[j] == ':' {
			if ellipsis >= 0 {
				return netip.Addr{}, j, false
			}
			ellipsis = k
			j++
			if j >= len(b) || b[j] == ' ' {
				break
			}
		} else if j >= len(b) || b[j] == ' ' {
			return netip.Addr{}, j, false
		}
	}
	if j < len(b) && b[j] != ' ' {
		return netip.Addr{}, j, false
	}
	if k < 16 {
		if ellipsis < 0 {
			return netip.Addr{}, j, false
		}
		n := 16 - k
		copy(ip[ellipsis+n:], ip[ellipsis:k])
		clear(ip[ellipsis : ellipsis+n])
	} else if ellipsis >= 0 {
		return netip.Addr{}, j, false
	}
	return netip.AddrFrom16(ip), j, true
}

// Read reads one PROXY header from r. It peeks first and consumes nothing
// unless a complete, valid header is there: on any error r still holds every
// byte it had, so a caller can fall back to reading without a header (if its
// policy allows, which the spec advises against: section 5).
//
// A header split across many reads is accepted; bound the time it may take
// with a read deadline on the underlying connection. A header larger than
// r's buffer (r.Size()) fails with [ErrTooLong]. A stream that ends before
// a complete header gives [ErrShort] wrapping io.ErrUnexpectedEOF (or io.EOF
// when it was empty), and a deadline gives [ErrShort] wrapping the deadline
// error.
//
// Unlike [Decode], the returned TLVs are a copy: r's buffer is reused.
func Read(r *bufio.Reader) (Header, error) {
	need := 1
	for {
		b, err := r.Peek(need)
		if n := r.Buffered(); n > len(b) {
			b, _ = r.Peek(n)
		}
		var h Header
		n, p := decode(&h, b)
		switch {
		case p.code == pOK:
			if len(h.TLVs) > 0 {
				h.TLVs = append(TLVs(nil), h.TLVs...)
			}
			_, _ = r.Discard(n)
			return h, nil
		case p.code != pShort:
			return Header{}, p.err()
		case err != nil && !errors.Is(err, bufio.ErrBufferFull):
			e := p.err()
			e.Err = err
			if err == io.EOF && len(b) > 0 {
				e.Err = io.ErrUnexpectedEOF
			}
			return Header{}, e
		}
		need = len(b) + int(p.need)
		if need > r.Size() {
			return Header{}, &Error{Kind: ErrTooLong, Offset: len(b), Detail: "header larger than the read buffer"}
		}
	}
}

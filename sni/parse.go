package sni

import (
	"bytes"
	"encoding/binary"

	"golang.org/x/crypto/cryptobyte"
)

// DefaultMaxSize is the default cap on the ClientHello handshake message: 64 KiB,
// the same limit crypto/tls applies to handshake messages.
const DefaultMaxSize = 64 << 10

const (
	recordHeaderLen     = 5
	maxRecordLen        = 1 << 14 // RFC 8446, Section 5.1: TLSPlaintext.length
	recordTypeHandshake = 0x16
	typeClientHello     = 1
	maxHostLen          = 255 // RFC 1035, Section 2.3.4: names are at most 255 octets
)

// Extension types the parser looks into (IANA "TLS ExtensionType Values").
const (
	extServerName          = 0x0000
	extStatusRequest       = 0x0005
	extSupportedGroups     = 0x000a
	extECPointFormats      = 0x000b
	extSignatureAlgorithms = 0x000d
	extALPN                = 0x0010
	extPreSharedKey        = 0x0029
	extSupportedVersions   = 0x002b
	extCookie              = 0x002c
	extPSKModes            = 0x002d
	extSigAlgsCert         = 0x0032
	extKeyShare            = 0x0033
	extECH                 = 0xfe0d
	extRenegotiationInfo   = 0xff01
)

// Parser parses ClientHellos and reuses one reassembly buffer across calls, so
// that a hello fragmented over several records costs no allocation once the
// buffer has grown. Its zero value is ready to use. A Parser is not safe for
// concurrent use.
type Parser struct {
	// MaxSize caps the length of the handshake message (without its 4-byte
	// header). Zero means [DefaultMaxSize]. A larger announced length fails
	// with [ErrRecordOverflow].
	MaxSize int

	// Scratch is the reassembly buffer. Parse stores a fragmented hello in
	// Scratch[:0] (growing it when needed and keeping the grown buffer here), and
	// the [Hello] it returns refers to it until the next call. A hello that fits
	// in one record never touches Scratch: its Hello refers to the input.
	Scratch []byte
}

// Parse parses the ClientHello at the start of b, a byte stream starting with
// the first TLS record header, as read from a connection. Bytes after the hello
// (for example 0-RTT application data) are ignored; [Hello.Len] reports where
// the hello ends.
//
// The returned Hello refers to b (and, for a hello fragmented over several
// records, to a buffer Parse allocates; use a [Parser] to reuse one). It is
// valid only as long as b is not modified.
//
// On failure the error is an [*Error] whose Kind is one of the sentinel
// errors; [ErrShort] means b is a valid prefix and more bytes are needed.
func Parse(b []byte) (Hello, error) {
	var p Parser
	return p.Parse(b)
}

// Parse is like the package-level [Parse], with p's size cap and reassembly buffer.
func (p *Parser) Parse(b []byte) (h Hello, err error) {
	maxSize := p.MaxSize
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	// Fast path: the whole hello in one complete record, exactly filling it.
	if len(b) >= recordHeaderLen+4 && b[0] == recordTypeHandshake && b[1] == 3 && b[5] == typeClientHello {
		rlen := int(b[3])<<8 | int(b[4])
		n := int(b[6])<<16 | int(b[7])<<8 | int(b[8])
		if rlen == n+4 && rlen <= maxRecordLen && n <= maxSize && len(b) >= recordHeaderLen+rlen {
			if e := h.parseHandshake(b[recordHeaderLen : recordHeaderLen+rlen]); e != nil {
				return Hello{}, e
			}
			h.consumed = recordHeaderLen + rlen
			return h, nil
		}
	}
	return p.parseSlow(b, maxSize)
}

// parseSlow handles everything but a complete single-record hello: errors in
// the record layer, incomplete input and reassembly of fragments.
func (p *Parser) parseSlow(b []byte, maxSize int) (Hello, error) {
	st := scanner{maxSize: maxSize}
	if need, e := st.scan(b); e != nil {
		return Hello{}, e
	} else if need > 0 {
		return Hello{}, errShort(len(b), need)
	}
	var h Hello
	var msg []byte
	if st.records == 1 {
		msg = b[recordHeaderLen : recordHeaderLen+st.total]
	} else {
		msg = p.Scratch[:0]
		if cap(msg) < st.total {
			msg = make([]byte, 0, st.total)
		}
		off := 0
		for range st.records {
			rlen := int(b[off+3])<<8 | int(b[off+4])
			msg = append(msg, b[off+recordHeaderLen:off+recordHeaderLen+rlen]...)
			off += recordHeaderLen + rlen
		}
		p.Scratch = msg
	}
	if e := h.parseHandshake(msg); e != nil {
		return Hello{}, e
	}
	h.consumed = st.consumed
	return h, nil
}

// scanner walks the TLS records at the start of a stream until the
// ClientHello handshake message is complete. It indexes bytes itself rather
// than reading with cryptobyte: it must make progress on incomplete input
// and say how many bytes are missing, where cryptobyte reads are
// all-or-nothing. It keeps its position after
// each complete record, so that feeding it a growing buffer (as Peek does)
// costs linear time however small the records and reads are.
type scanner struct {
	maxSize  int
	off      int // end of the last complete record
	got      int // handshake bytes in complete records
	total    int // handshake message length with its header, 0 until known
	records  int // complete records
	consumed int // set once the hello is complete
	hdr      [4]byte
}

// scan continues over b, which must extend the bytes given before. It
// reports record-layer errors as soon as the offending byte is present, and
// the minimum number of bytes still needed when b ends before the hello
// does; need is 0 and err nil once the hello is complete.
func (s *scanner) scan(b []byte) (need int, err *Error) {
	if s.consumed > 0 {
		return 0, nil
	}
	off, got, total, hdr := s.off, s.got, s.total, s.hdr
	for {
		rem := len(b) - off
		if rem < 1 {
			return max(1, recordHeaderLen-rem+hsRemaining(total, got)), nil
		}
		if b[off] != recordTypeHandshake {
			if off == 0 {
				return classifyFirst(b)
			}
			return 0, errAt(ErrMalformed, off, "non-handshake record inside the ClientHello")
		}
		if rem < 2 {
			return max(1, recordHeaderLen-rem+hsRemaining(total, got)), nil
		}
		if b[off+1] != 3 {
			if off == 0 {
				return 0, errAt(ErrNotTLS, 1, "record version is not 3.x")
			}
			return 0, errAt(ErrMalformed, off+1, "record version is not 3.x")
		}
		if rem < recordHeaderLen {
			return max(1, recordHeaderLen-rem+hsRemaining(total, got)), nil
		}
		rlen := int(b[off+3])<<8 | int(b[off+4])
		if rlen == 0 {
			return 0, errAt(ErrMalformed, off+3, "zero-length handshake record")
		}
		if rlen > maxRecordLen {
			return 0, errAt(ErrRecordOverflow, off+3, "record longer than 2^14 bytes")
		}
		start := off + recordHeaderLen
		end := start + rlen
		avail := min(end, len(b))
		i := start
		for ; i < avail && got < 4; i++ {
			hdr[got] = b[i]
			got++
			if got == 1 && hdr[0] != typeClientHello {
				return 0, errAt(ErrNotClientHello, i, "handshake message is not a ClientHello")
			}
			if got == 4 {
				n := int(hdr[1])<<16 | int(hdr[2])<<8 | int(hdr[3])
				if n > s.maxSize {
					return 0, errAt(ErrRecordOverflow, i-2, "ClientHello longer than the size cap")
				}
				total = 4 + n
			}
		}
		got += avail - i
		if total > 0 && got > total {
			return 0, errAt(ErrMalformed, avail-(got-total), "data after the ClientHello in its last record")
		}
		if avail < end {
			need := end - avail
			if total > 0 {
				if rest := total - got - need; rest > 0 {
					need += recordHeaderLen + rest
				}
			}
			return max(1, need), nil
		}
		off = end
		s.off, s.got, s.total, s.hdr = off, got, total, hdr
		s.records++
		if total > 0 && got == total {
			s.consumed = off
			return 0, nil
		}
	}
}

// hsRemaining is the minimum number of handshake bytes still to come.
func hsRemaining(total, got int) int {
	if total == 0 {
		return max(1, 4-got)
	}
	return total - got
}

// classifyFirst explains why b, whose first byte is not a handshake record
// type, is refused.
func classifyFirst(b []byte) (need int, err *Error) {
	c := b[0]
	switch {
	case c&0x80 != 0:
		// SSLv2 record: 2-byte length with the top bit set, then msg_type 1
		// (RFC 5246, Appendix E.2).
		if len(b) < 3 {
			return 3 - len(b), nil
		}
		if b[2] == 1 {
			return 0, errAt(ErrSSLv2, 0, "SSLv2-compatible CLIENT-HELLO")
		}
		return 0, errAt(ErrNotTLS, 0, "first byte is not a TLS record type")
	case c >= 0x14 && c <= 0x18:
		// change_cipher_spec, alert, application_data, heartbeat.
		if len(b) < 2 {
			return recordHeaderLen - len(b), nil
		}
		if b[1] == 3 {
			return 0, errAt(ErrNotClientHello, 0, "first record is not a handshake record")
		}
	}
	return 0, errAt(ErrNotTLS, 0, "first byte is not a TLS record type")
}

// parseHandshake parses the ClientHello handshake message m (with its 4-byte
// header) into h. Offsets in errors count from the record header, as if m
// followed a single 5-byte record header.
func (h *Hello) parseHandshake(m []byte) *Error {
	h.raw = m
	n := uint32(len(m))
	s := cryptobyte.String(m[4:])
	pos := func() int { return recordHeaderLen + int(n) - len(s) }

	// RFC 8446, Section 4.1.2.
	// Length-prefixed fields are read as a length then ReadBytes: both
	// inline, unlike ReadUint8LengthPrefixed, which halves the cost here.
	var sid, cs, comp, exts []byte
	var l8 uint8
	var l16 uint16
	if !s.ReadUint16(&h.vers) || !s.Skip(32) || !s.ReadUint8(&l8) || !s.ReadBytes(&sid, int(l8)) {
		return errAt(ErrMalformed, pos(), "truncated ClientHello")
	}
	if len(sid) > 32 {
		return errAt(ErrMalformed, pos()-len(sid)-1, "legacy_session_id longer than 32 bytes")
	}
	h.sessionID = spanAt(n, s, sid)
	if !s.ReadUint16(&l16) || !s.ReadBytes(&cs, int(l16)) {
		return errAt(ErrMalformed, pos(), "truncated cipher_suites")
	}
	if len(cs) < 2 || len(cs)&1 != 0 {
		return errAt(ErrMalformed, pos()-len(cs)-2, "cipher_suites length not a positive even number")
	}
	h.ciphers = spanAt(n, s, cs)
	if !s.ReadUint8(&l8) || !s.ReadBytes(&comp, int(l8)) {
		return errAt(ErrMalformed, pos(), "truncated compression_methods")
	}
	if len(comp) == 0 || comp[0] != 0 && bytes.IndexByte(comp, 0) < 0 {
		return errAt(ErrMalformed, pos()-len(comp)-1, "compression_methods without null")
	}
	h.compression = spanAt(n, s, comp)
	if s.Empty() {
		return nil // no extensions block (TLS 1.0-1.2 clients may omit it)
	}
	if !s.ReadUint16(&l16) || !s.ReadBytes(&exts, int(l16)) {
		return errAt(ErrMalformed, pos(), "truncated extensions")
	}
	if !s.Empty() {
		return errAt(ErrMalformed, pos(), "data after the extensions block")
	}
	h.exts = spanAt(n, s, exts)
	h.flags |= flagExtensions
	return h.parseExtensions(exts, h.exts.off)
}

// spanAt returns the span of sub, which was just read from the front of what
// is now rest, inside a message of length n.
func spanAt(n uint32, rest cryptobyte.String, sub []byte) span {
	end := n - uint32(len(rest))
	return span{end - uint32(len(sub)), end}
}

// isGREASE reports whether v is a GREASE value (RFC 8701): 0x0a0a, 0x1a1a ... 0xfafa.
func isGREASE(v uint16) bool {
	return v&0x0f0f == 0x0a0a && v>>8 == v&0xff
}

// handledTypes has bit t set for each extension type t < 64 that
// parseExtension looks into.
const handledTypes = 1<<extServerName | 1<<extStatusRequest | 1<<extSupportedGroups |
	1<<extECPointFormats | 1<<extSignatureAlgorithms | 1<<extALPN | 1<<extPreSharedKey |
	1<<extSupportedVersions | 1<<extCookie | 1<<extPSKModes | 1<<extSigAlgsCert | 1<<extKeyShare

// parseExtensions walks the extensions block b, which starts at offset base
// of h.raw. This is the hot loop of the parser: it indexes bytes directly
// (with the same length checks cryptobyte performs) because cryptobyte's
// length-prefixed reads go through memory and cost twice as much here.
//
// Duplicates are found in linear time: a bitset for types below 256, a
// 16-bit mask for the 16 GREASE values and a short list for the rest. A
// hello with more than len(others) other types continues in
// parseExtensionsLarge, with a set over the whole 16-bit type space.
func (h *Hello) parseExtensions(b []byte, base uint32) *Error {
	var seen uint64   // types 0-63
	var low [4]uint64 // types 64-255 (low[0] unused until parseExtensionsLarge)
	var grease uint16
	var others [8]uint16
	nOthers := 0
	for p := 0; p < len(b); {
		if len(b)-p < 4 {
			return errAt(ErrMalformed, recordHeaderLen+int(base)+p, "truncated extension")
		}
		typ := uint16(b[p])<<8 | uint16(b[p+1])
		start := p + 4
		end := start + (int(b[p+2])<<8 | int(b[p+3]))
		if end > len(b) {
			return errAt(ErrMalformed, recordHeaderLen+int(base)+p, "truncated extension")
		}
		switch {
		case typ < 64: // most extensions: a bitset in a register
			bit := uint64(1) << typ
			if seen&bit != 0 {
				return errExt(ErrDuplicateExtension, recordHeaderLen+int(base)+p, typ, "extension sent twice")
			}
			seen |= bit
			if handledTypes&bit == 0 {
				p = end
				continue
			}
		case typ < 256:
			w, bit := typ>>6, uint64(1)<<(typ&63)
			if low[w]&bit != 0 {
				return errExt(ErrDuplicateExtension, recordHeaderLen+int(base)+p, typ, "extension sent twice")
			}
			low[w] |= bit
			p = end
			continue
		case isGREASE(typ):
			bit := uint16(1) << (typ >> 12)
			if grease&bit != 0 {
				return errExt(ErrDuplicateExtension, recordHeaderLen+int(base)+p, typ, "extension sent twice")
			}
			grease |= bit
			p = end
			continue
		default:
			for _, o := range others[:nOthers] {
				if o == typ {
					return errExt(ErrDuplicateExtension, recordHeaderLen+int(base)+p, typ, "extension sent twice")
				}
			}
			if nOthers == len(others) {
				low[0] = seen
				return h.parseExtensionsLarge(b, p, base, &low, grease, &others)
			}
			others[nOthers] = typ
			nOthers++
			switch typ {
			case extECH:
				h.flags |= flagECH
			case extRenegotiationInfo: // RFC 5746, Section 3.2
				if _, ok := vec8(b[start:end]); !ok {
					return errExt(ErrMalformed, recordHeaderLen+int(base)+p, typ, "bad renegotiation_info")
				}
			}
			p = end
			continue
		}
		sp := span{base + uint32(start), base + uint32(end)}
		if e := h.parseExtension(typ, b[start:end], sp, recordHeaderLen+int(base)+p, end == len(b)); e != nil {
			return e
		}
		p = end
	}
	return nil
}

// parseExtensionsLarge continues parseExtensions at offset p of b for a hello
// with many extension types of 256 and above, with a bitset over all types.
//
//go:noinline
func (h *Hello) parseExtensionsLarge(b []byte, p int, base uint32, low *[4]uint64, grease uint16, others *[8]uint16) *Error {
	var seen [1 << 16 / 64]uint64
	copy(seen[:4], low[:])
	for i := range 16 {
		if grease>>i&1 != 0 {
			t := uint16(i)<<12 | 0x0a00 | uint16(i)<<4 | 0x0a
			seen[t>>6] |= 1 << (t & 63)
		}
	}
	for _, t := range others {
		seen[t>>6] |= 1 << (t & 63)
	}
	for p < len(b) {
		if len(b)-p < 4 {
			return errAt(ErrMalformed, recordHeaderLen+int(base)+p, "truncated extension")
		}
		typ := uint16(b[p])<<8 | uint16(b[p+1])
		start := p + 4
		end := start + (int(b[p+2])<<8 | int(b[p+3]))
		if end > len(b) {
			return errAt(ErrMalformed, recordHeaderLen+int(base)+p, "truncated extension")
		}
		w, bit := typ>>6, uint64(1)<<(typ&63)
		if seen[w]&bit != 0 {
			return errExt(ErrDuplicateExtension, recordHeaderLen+int(base)+p, typ, "extension sent twice")
		}
		seen[w] |= bit
		if typ == extECH {
			h.flags |= flagECH
		}
		if typ == extRenegotiationInfo {
			if _, ok := vec8(b[start:end]); !ok {
				return errExt(ErrMalformed, recordHeaderLen+int(base)+p, typ, "bad renegotiation_info")
			}
		}
		if typ < 64 && handledTypes>>typ&1 != 0 {
			sp := span{base + uint32(start), base + uint32(end)}
			if e := h.parseExtension(typ, b[start:end], sp, recordHeaderLen+int(base)+p, end == len(b)); e != nil {
				return e
			}
		}
		p = end
	}
	return nil
}

// vec16 returns the body of a vector with a 2-byte length that fills d
// exactly, and whether d is one.
func vec16(d []byte) ([]byte, bool) {
	if len(d) < 2 || int(d[0])<<8|int(d[1]) != len(d)-2 {
		return nil, false
	}
	return d[2:], true
}

// vec16prefix returns the body of the vector with a 2-byte length at the
// start of d, and whether d holds all of it.
func vec16prefix(d []byte) ([]byte, bool) {
	if len(d) < 2 {
		return nil, false
	}
	n := int(d[0])<<8 | int(d[1])
	if len(d)-2 < n {
		return nil, false
	}
	return d[2 : 2+n], true
}

// vec8 is vec16 for a 1-byte length.
func vec8(d []byte) ([]byte, bool) {
	if len(d) < 1 || int(d[0]) != len(d)-1 {
		return nil, false
	}
	return d[1:], true
}

// parseExtension checks the framing of one extension the package exposes or
// that crypto/tls checks, and records its span. d is the extension data, sp
// its span in h.raw, at the error offset of the extension header, and last
// reports whether it is the last extension.
func (h *Hello) parseExtension(typ uint16, d []byte, sp span, at int, last bool) *Error {
	switch typ {
	case extServerName: // RFC 6066, Section 3
		list, ok := vec16(d)
		if !ok || len(list) == 0 {
			return errExt(ErrMalformed, at, typ, "bad server_name list")
		}
		for p := 0; p < len(list); {
			if len(list)-p < 3 {
				return errExt(ErrMalformed, at, typ, "truncated server_name entry")
			}
			nameType := list[p]
			start := p + 3
			end := start + (int(list[p+1])<<8 | int(list[p+2]))
			if end > len(list) {
				return errExt(ErrMalformed, at, typ, "truncated server_name entry")
			}
			p = end
			if start == end {
				return errExt(ErrMalformed, at, typ, "empty server name") // HostName<1..2^16-1>
			}
			if nameType != 0 {
				continue // unknown name types are skipped (RFC 6066)
			}
			if h.flags&flagServerName != 0 {
				return errExt(ErrDuplicateName, at, typ, "two host_name entries")
			}
			off := sp.off + 2 + uint32(start)
			if end-start > maxHostLen {
				return errExt(ErrInvalidHostname, recordHeaderLen+int(off), typ, "host_name longer than 255 bytes")
			}
			if i := badHostByte(list[start:end]); i >= 0 {
				return errExt(ErrInvalidHostname, recordHeaderLen+int(off)+i, typ, "control byte, space or empty label in host_name")
			}
			h.serverName = span{off, off + uint32(end-start)}
			h.flags |= flagServerName
		}
		return nil
	case extALPN: // RFC 7301, Section 3.1
		list, ok := vec16(d)
		if !ok || len(list) == 0 {
			return errExt(ErrMalformed, at, typ, "bad ALPN list")
		}
		for p := 0; p < len(list); {
			n := int(list[p])
			if n == 0 {
				return errExt(ErrMalformed, at, typ, "empty ALPN protocol name")
			}
			if p += 1 + n; p > len(list) {
				return errExt(ErrMalformed, at, typ, "truncated ALPN protocol name")
			}
		}
		h.alpn = span{sp.off + 2, sp.end}
		h.flags |= flagALPN
		return nil
	case extSupportedVersions: // RFC 8446, Section 4.2.1
		list, ok := vec8(d)
		if !ok || len(list) == 0 || len(list)&1 != 0 {
			return errExt(ErrMalformed, at, typ, "bad supported_versions list")
		}
		h.versions = span{sp.off + 1, sp.end}
		h.flags |= flagVersions
		return nil
	case extSupportedGroups, extSignatureAlgorithms, extSigAlgsCert: // RFC 8446, Sections 4.2.7, 4.2.3
		list, ok := vec16(d)
		if !ok || len(list) == 0 || len(list)&1 != 0 {
			return errExt(ErrMalformed, at, typ, "bad uint16 list")
		}
		switch typ {
		case extSupportedGroups:
			h.groups = span{sp.off + 2, sp.end}
		case extSignatureAlgorithms:
			h.sigAlgs = span{sp.off + 2, sp.end}
		}
		return nil
	case extKeyShare: // RFC 8446, Section 4.2.8
		list, ok := vec16(d)
		if !ok {
			return errExt(ErrMalformed, at, typ, "bad key_share list")
		}
		for p := 0; p < len(list); {
			if len(list)-p < 4 {
				return errExt(ErrMalformed, at, typ, "truncated key_share entry")
			}
			n := int(list[p+2])<<8 | int(list[p+3])
			if n == 0 {
				return errExt(ErrMalformed, at, typ, "empty key_exchange")
			}
			if p += 4 + n; p > len(list) {
				return errExt(ErrMalformed, at, typ, "truncated key_share entry")
			}
		}
		h.keyShares = span{sp.off + 2, sp.end}
		return nil
	case extECPointFormats: // RFC 8422, Section 5.1.2
		list, ok := vec8(d)
		if !ok || len(list) == 0 {
			return errExt(ErrMalformed, at, typ, "bad ec_point_formats list")
		}
		h.pointFormats = span{sp.off + 1, sp.end}
		return nil
	case extCookie: // RFC 8446, Section 4.2.2
		if x, ok := vec16(d); !ok || len(x) == 0 {
			return errExt(ErrMalformed, at, typ, "bad cookie")
		}
		return nil
	case extPSKModes: // RFC 8446, Section 4.2.9
		if _, ok := vec8(d); !ok {
			return errExt(ErrMalformed, at, typ, "bad psk_key_exchange_modes")
		}
		return nil
	case extStatusRequest: // RFC 6066, Section 8: status_type, two uint16 vectors
		if len(d) < 3 {
			return errExt(ErrMalformed, at, typ, "truncated status_request")
		}
		ids, ok := vec16prefix(d[1:])
		if !ok {
			return errExt(ErrMalformed, at, typ, "truncated status_request")
		}
		if _, ok := vec16(d[1+2+len(ids):]); !ok {
			return errExt(ErrMalformed, at, typ, "bad status_request")
		}
		return nil
	case extPreSharedKey:
		return parseColdExtension(typ, cryptobyte.String(d), at, last)
	}
	return nil // flag-only or unknown extensions: contents not checked
}

// parseColdExtension checks extensions that are rare enough to be parsed
// with cryptobyte at no cost that matters.
func parseColdExtension(typ uint16, data cryptobyte.String, at int, last bool) *Error {
	bad := func(detail string) *Error { return errExt(ErrMalformed, at, typ, detail) }
	switch typ {
	case extPreSharedKey: // RFC 8446, Section 4.2.11
		if !last {
			return bad("pre_shared_key is not the last extension")
		}
		var ids, binders cryptobyte.String
		if !data.ReadUint16LengthPrefixed(&ids) || ids.Empty() {
			return bad("bad pre_shared_key identities")
		}
		for !ids.Empty() {
			var id cryptobyte.String
			if !ids.ReadUint16LengthPrefixed(&id) || id.Empty() || !ids.Skip(4) {
				return bad("bad pre_shared_key identity")
			}
		}
		if !data.ReadUint16LengthPrefixed(&binders) || binders.Empty() {
			return bad("bad pre_shared_key binders")
		}
		for !binders.Empty() {
			var binder cryptobyte.String
			if !binders.ReadUint8LengthPrefixed(&binder) || binder.Empty() {
				return bad("bad pre_shared_key binder")
			}
		}
	}
	if !data.Empty() {
		return bad("data after the extension body")
	}
	return nil
}

// badHostByte returns the index of the first byte that makes name unusable as
// a host name (a control byte, a space, DEL, or a dot that starts an empty
// label), or -1. One trailing dot is allowed.
//
// Control bytes, space and DEL are screened 8 bytes at a time; a word that
// may hold one (the screen has false positives, never false negatives)
// sends the name to the exact byte loop. Empty labels are found with
// bytes.Index, which is vectorised.
func badHostByte(name []byte) int {
	const ones, low7, highs = 0x0101010101010101, 0x7f7f7f7f7f7f7f7f, 0x8080808080808080
	if len(name) > 0 && name[0] == '.' {
		return 0
	}
	// For each byte b, u is (b&0x7f)+1 with the carry dropped: below 0x22
	// exactly when b is a control byte, a space or DEL (or one of those plus
	// 0x80), which (u-0x22)&^u flags in the byte's top bit.
	flag := func(x uint64) uint64 {
		u := (x&low7 + ones) & low7
		return (u - 0x22*ones) &^ u
	}
	i := 0
	for ; i+32 <= len(name); i += 32 {
		w := name[i : i+32]
		if (flag(binary.LittleEndian.Uint64(w))|flag(binary.LittleEndian.Uint64(w[8:]))|
			flag(binary.LittleEndian.Uint64(w[16:]))|flag(binary.LittleEndian.Uint64(w[24:])))&highs != 0 {
			return badHostByteExact(name)
		}
	}
	for ; i+8 <= len(name); i += 8 {
		if flag(binary.LittleEndian.Uint64(name[i:]))&highs != 0 {
			return badHostByteExact(name)
		}
	}
	for ; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c == 0x7f {
			return badHostByteExact(name)
		}
	}
	if j := bytes.Index(name, []byte("..")); j >= 0 {
		return j + 1
	}
	return -1
}

func badHostByteExact(name []byte) int {
	dot := true // a leading dot is an empty label
	for i, c := range name {
		if c <= ' ' || c == 0x7f {
			return i
		}
		if c == '.' {
			if dot {
				return i
			}
			dot = true
		} else {
			dot = false
		}
	}
	return -1
}

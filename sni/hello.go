package sni

import (
	"iter"
)

// span is a half-open byte range [off, end) inside Hello.raw.
type span struct{ off, end uint32 }

const (
	flagExtensions = 1 << iota
	flagServerName
	flagALPN
	flagVersions
	flagECH
)

// Hello is a parsed ClientHello. It is a small value holding views into the
// parsed bytes: nothing is copied, and lists are decoded only when iterated.
// A Hello stays valid as long as the bytes it was parsed from (or the
// [Parser.Scratch] buffer, for a fragmented hello) are not modified.
//
// The zero Hello is not valid: [Hello.IsValid] reports false and every
// accessor returns an empty result.
type Hello struct {
	raw      []byte // handshake message: msg_type, uint24 length, body
	consumed int
	vers     uint16
	flags    uint8

	sessionID, ciphers, compression, exts span
	serverName, alpn, versions, groups    span
	keyShares, sigAlgs, pointFormats      span
}

func (h *Hello) view(s span) []byte { return h.raw[s.off:s.end:s.end] }

// IsValid reports whether h holds a parsed ClientHello.
func (h *Hello) IsValid() bool { return len(h.raw) != 0 }

// Len returns the number of input bytes the hello occupied, record headers
// included. Bytes after it (0-RTT data, a change_cipher_spec record) belong
// to the rest of the stream.
func (h *Hello) Len() int { return h.consumed }

// Raw returns the ClientHello handshake message: msg_type, the 3-byte length
// and the body, without record headers (RFC 8446, Section 4).
func (h *Hello) Raw() []byte { return h.raw[:len(h.raw):len(h.raw)] }

// HasServerName reports whether the hello carries a host_name in a
// server_name extension.
func (h *Hello) HasServerName() bool { return h.flags&flagServerName != 0 }

// RawServerName returns the host_name exactly as sent (case preserved, a
// trailing dot kept), or nil. With ECH ([Hello.HasECH]) this is the public
// (outer) name, not the real destination.
func (h *Hello) RawServerName() []byte {
	if h.flags&flagServerName == 0 {
		return nil
	}
	return h.view(h.serverName)
}

// AppendServerName appends the routing form of the host name to dst and
// returns the extended buffer: ASCII letters lowercased and one trailing dot
// removed ("UPPER.Example.COM." becomes "upper.example.com"). Other bytes are
// copied unchanged. It appends nothing when there is no host name. With a
// dst of capacity 255 or more it never allocates.
func (h *Hello) AppendServerName(dst []byte) []byte {
	name := h.RawServerName()
	if n := len(name); n > 0 && name[n-1] == '.' {
		name = name[:n-1]
	}
	for _, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// ServerName returns the routing form of the host name (see
// [Hello.AppendServerName]), or "" when there is none. It allocates unless
// the name is empty; use AppendServerName on the hot path.
func (h *Hello) ServerName() string {
	if h.flags&flagServerName == 0 {
		return ""
	}
	var buf [256]byte
	return string(h.AppendServerName(buf[:0]))
}

// HasECH reports whether the hello carries an encrypted_client_hello
// extension. The server name is then the client-facing public name; the real
// destination is encrypted.
func (h *Hello) HasECH() bool { return h.flags&flagECH != 0 }

// LegacyVersion returns the legacy_version field (0x0303 for TLS 1.2 and 1.3 clients).
func (h *Hello) LegacyVersion() uint16 { return h.vers }

// Version returns the highest non-GREASE version in supported_versions, or
// the legacy_version when the extension is absent (RFC 8446, Section 4.2.1).
// It returns 0 for the zero Hello.
func (h *Hello) Version() uint16 {
	if h.flags&flagVersions == 0 {
		return h.vers
	}
	var best uint16
	for v := range h.SupportedVersions().All() {
		if !isGREASE(v) && v > best {
			best = v
		}
	}
	return best
}

// SupportedVersions returns the supported_versions list in wire order,
// GREASE values included.
func (h *Hello) SupportedVersions() Uint16s { return Uint16s{h.view(h.versions)} }

// CipherSuites returns the cipher_suites list in wire order.
func (h *Hello) CipherSuites() Uint16s { return Uint16s{h.view(h.ciphers)} }

// SupportedGroups returns the supported_groups list in wire order.
func (h *Hello) SupportedGroups() Uint16s { return Uint16s{h.view(h.groups)} }

// SignatureAlgorithms returns the signature_algorithms list in wire order.
func (h *Hello) SignatureAlgorithms() Uint16s { return Uint16s{h.view(h.sigAlgs)} }

// KeyShareGroups returns the groups of the key_share entries in wire order.
func (h *Hello) KeyShareGroups() KeyShares { return KeyShares{h.view(h.keyShares)} }

// ALPN returns the application_layer_protocol_negotiation protocol names in
// wire order.
func (h *Hello) ALPN() Protocols { return Protocols{h.view(h.alpn)} }

// Extensions returns the extensions in wire order.
func (h *Hello) Extensions() Extensions { return Extensions{h.view(h.exts)} }

// SessionID returns the legacy_session_id.
func (h *Hello) SessionID() []byte { return h.view(h.sessionID) }

// CompressionMethods returns the legacy_compression_methods.
func (h *Hello) CompressionMethods() []byte { return h.view(h.compression) }

// PointFormats returns the ec_point_formats list.
func (h *Hello) PointFormats() []byte { return h.view(h.pointFormats) }

// Random returns the 32-byte client random.
func (h *Hello) Random() []byte {
	if len(h.raw) < 38 {
		return nil
	}
	return h.raw[6:38:38]
}

// Uint16s is a read-only view of a list of 16-bit values on the wire (cipher
// suites, groups, versions, signature schemes). The zero value is an empty list.
type Uint16s struct{ b []byte }

// Len returns the number of values.
func (l Uint16s) Len() int { return len(l.b) / 2 }

// At returns the i-th value; it panics if i is out of range, like a slice index.
func (l Uint16s) At(i int) uint16 { return uint16(l.b[2*i])<<8 | uint16(l.b[2*i+1]) }

// All returns an iterator over the values in wire order.
func (l Uint16s) All() iter.Seq[uint16] {
	return func(yield func(uint16) bool) {
		for i := 0; i+1 < len(l.b); i += 2 {
			if !yield(uint16(l.b[i])<<8 | uint16(l.b[i+1])) {
				return
			}
		}
	}
}

// AppendTo appends the values to dst and returns the extended slice.
func (l Uint16s) AppendTo(dst []uint16) []uint16 {
	for i := 0; i+1 < len(l.b); i += 2 {
		dst = append(dst, uint16(l.b[i])<<8|uint16(l.b[i+1]))
	}
	return dst
}

// Contains reports whether v is in the list.
func (l Uint16s) Contains(v uint16) bool {
	for i := 0; i+1 < len(l.b); i += 2 {
		if uint16(l.b[i])<<8|uint16(l.b[i+1]) == v {
			return true
		}
	}
	return false
}

// KeyShares is a read-only view of the key_share client_shares list.
type KeyShares struct{ b []byte }

// All returns an iterator over the entries: the group and its key_exchange bytes.
func (l KeyShares) All() iter.Seq2[uint16, []byte] {
	return typeLengthValues(l.b)
}

// Len returns the number of entries.
func (l KeyShares) Len() int { return countTypeLengthValues(l.b) }

// AppendTo appends the groups to dst and returns the extended slice.
func (l KeyShares) AppendTo(dst []uint16) []uint16 {
	for g := range l.All() {
		dst = append(dst, g)
	}
	return dst
}

// Protocols is a read-only view of an ALPN protocol_name_list.
type Protocols struct{ b []byte }

// All returns an iterator over the protocol names in wire order. The slices
// alias the parsed input: do not modify them.
func (l Protocols) All() iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		b := l.b
		for len(b) > 0 {
			n := int(b[0])
			if len(b) < 1+n {
				return
			}
			if !yield(b[1 : 1+n : 1+n]) {
				return
			}
			b = b[1+n:]
		}
	}
}

// Len returns the number of protocol names.
func (l Protocols) Len() int {
	n := 0
	for range l.All() {
		n++
	}
	return n
}

// First returns the first protocol name, or nil.
func (l Protocols) First() []byte {
	for p := range l.All() {
		return p
	}
	return nil
}

// Contains reports whether proto is offered.
func (l Protocols) Contains(proto string) bool {
	for p := range l.All() {
		if string(p) == proto {
			return true
		}
	}
	return false
}

// Strings returns the protocol names as strings (it allocates).
func (l Protocols) Strings() []string {
	var s []string
	for p := range l.All() {
		s = append(s, string(p))
	}
	return s
}

// Extensions is a read-only view of the extensions block.
type Extensions struct{ b []byte }

// All returns an iterator over the extensions in wire order: the type and
// the extension_data bytes.
func (l Extensions) All() iter.Seq2[uint16, []byte] {
	return typeLengthValues(l.b)
}

// Len returns the number of extensions.
func (l Extensions) Len() int { return countTypeLengthValues(l.b) }

// Types appends the extension types in wire order to dst.
func (l Extensions) Types(dst []uint16) []uint16 {
	for t := range l.All() {
		dst = append(dst, t)
	}
	return dst
}

// Lookup returns the data of the extension of type t and whether it is present.
func (l Extensions) Lookup(t uint16) ([]byte, bool) {
	for typ, data := range l.All() {
		if typ == t {
			return data, true
		}
	}
	return nil, false
}

// typeLengthValues iterates over a list of entries of a 16-bit type, a
// 16-bit length and that many bytes (extensions, key shares), stopping at
// the first entry that does not fit.
func typeLengthValues(b []byte) iter.Seq2[uint16, []byte] {
	return func(yield func(uint16, []byte) bool) {
		for len(b) >= 4 {
			n := int(b[2])<<8 | int(b[3])
			if len(b) < 4+n {
				return
			}
			if !yield(uint16(b[0])<<8|uint16(b[1]), b[4:4+n:4+n]) {
				return
			}
			b = b[4+n:]
		}
	}
}

// countTypeLengthValues returns how many entries typeLengthValues yields.
func countTypeLengthValues(b []byte) int {
	n := 0
	for range typeLengthValues(b) {
		n++
	}
	return n
}

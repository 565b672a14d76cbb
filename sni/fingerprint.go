package sni

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
)

// AppendJA3String appends the JA3 string of the hello to dst:
//
//	SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats
//
// with decimal values, lists joined by "-" in wire order and GREASE values
// (RFC 8701) left out, as defined by the original JA3 (Salesforce).
func (h *Hello) AppendJA3String(dst []byte) []byte {
	dst = strconv.AppendUint(dst, uint64(h.vers), 10)
	dst = append(dst, ',')
	dst = appendDecimals(dst, h.CipherSuites())
	dst = append(dst, ',')
	first := true
	for t := range h.Extensions().All() {
		if isGREASE(t) {
			continue
		}
		if !first {
			dst = append(dst, '-')
		}
		first = false
		dst = strconv.AppendUint(dst, uint64(t), 10)
	}
	dst = append(dst, ',')
	dst = appendDecimals(dst, h.SupportedGroups())
	dst = append(dst, ',')
	for i, f := range h.PointFormats() {
		if i > 0 {
			dst = append(dst, '-')
		}
		dst = strconv.AppendUint(dst, uint64(f), 10)
	}
	return dst
}

func appendDecimals(dst []byte, l Uint16s) []byte {
	first := true
	for v := range l.All() {
		if isGREASE(v) {
			continue
		}
		if !first {
			dst = append(dst, '-')
		}
		first = false
		dst = strconv.AppendUint(dst, uint64(v), 10)
	}
	return dst
}

// AppendJA3 appends the JA3 fingerprint, the lowercase hex MD5 of the JA3
// string ([Hello.AppendJA3String]), to dst.
func (h *Hello) AppendJA3(dst []byte) []byte {
	var buf [512]byte
	sum := md5.Sum(h.AppendJA3String(buf[:0]))
	return hex.AppendEncode(dst, sum[:])
}

// JA3 returns the JA3 fingerprint (32 hex digits), or "" for the zero Hello.
func (h *Hello) JA3() string {
	if !h.IsValid() {
		return ""
	}
	var buf [32]byte
	return string(h.AppendJA3(buf[:0]))
}

// JA4 returns the JA4 fingerprint as specified by FoxIO
// (github.com/FoxIO-LLC/ja4, technical_details/JA4.md), for example
// "t13d1516h2_8daaf6152771_e5627efa2ab1", or "" for the zero Hello.
// See [Hello.AppendJA4].
func (h *Hello) JA4() string {
	if !h.IsValid() {
		return ""
	}
	var buf [36]byte
	return string(h.AppendJA4(buf[:0]))
}

// AppendJA4 appends the JA4 fingerprint to dst. Its three parts:
//
//   - JA4_a: "t" (TLS over TCP); the version: the highest non-GREASE
//     supported_versions value, else legacy_version ("13", "12", "11", "10",
//     "s3", "00" when unknown); "d" when a server_name extension is present,
//     else "i"; the number of cipher suites and of extensions, GREASE left
//     out, two digits each, at most 99; the first and last characters of the
//     first ALPN protocol ("00" without ALPN; when either is not an ASCII
//     letter or digit, the first hex digit of its first byte and the last hex
//     digit of its last byte).
//   - JA4_b: the first 12 hex digits of the SHA-256 of the cipher suites as
//     4-digit hex, sorted, joined by ","; "000000000000" when there is none.
//   - JA4_c: the first 12 hex digits of the SHA-256 of the extension types
//     sorted, without GREASE, server_name (0x0000) and ALPN (0x0010), then
//     "_" and the signature algorithms in wire order (no "_" when there are
//     none); "000000000000" when no extension is left.
func (h *Hello) AppendJA4(dst []byte) []byte {
	var tmp [64]uint16
	var text [512]byte

	// JA4_a.
	dst = append(dst, 't')
	dst = append(dst, ja4Version(h.Version())...)
	exts := tmp[:0]
	sni, nExt := byte('i'), 0
	for t := range h.Extensions().All() {
		if isGREASE(t) {
			continue
		}
		nExt++
		switch t {
		case extServerName:
			sni = 'd'
		case extALPN:
		default:
			exts = append(exts, t)
		}
	}
	dst = append(dst, sni)
	ciphers := exts[len(exts):] // share tmp when it has room
	for v := range h.CipherSuites().All() {
		if !isGREASE(v) {
			ciphers = append(ciphers, v)
		}
	}
	dst = appendCount(dst, len(ciphers))
	dst = appendCount(dst, nExt)
	dst = appendALPNChars(dst, h.ALPN().First())

	// JA4_b.
	dst = append(dst, '_')
	slices.Sort(ciphers)
	t := text[:0]
	for i, v := range ciphers {
		if i > 0 {
			t = append(t, ',')
		}
		t = appendHex16(t, v)
	}
	dst = appendHash12(dst, t, len(ciphers) == 0)

	// JA4_c.
	dst = append(dst, '_')
	slices.Sort(exts)
	t = t[:0]
	for i, v := range exts {
		if i > 0 {
			t = append(t, ',')
		}
		t = appendHex16(t, v)
	}
	first := true
	for v := range h.SignatureAlgorithms().All() {
		if isGREASE(v) {
			continue
		}
		if first {
			t = append(t, '_')
			first = false
		} else {
			t = append(t, ',')
		}
		t = appendHex16(t, v)
	}
	return appendHash12(dst, t, len(exts) == 0)
}

func ja4Version(v uint16) string {
	switch v {
	case 0x0304:
		return "13"
	case 0x0303:
		return "12"
	case 0x0302:
		return "11"
	case 0x0301:
		return "10"
	case 0x0300:
		return "s3"
	case 0x0200:
		return "s2"
	case 0x0100:
		return "s1"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}

func appendCount(dst []byte, n int) []byte {
	n = min(n, 99)
	return append(dst, byte('0'+n/10), byte('0'+n%10))
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func appendALPNChars(dst, p []byte) []byte {
	if len(p) == 0 {
		return append(dst, '0', '0')
	}
	f, l := p[0], p[len(p)-1]
	if isAlnum(f) && isAlnum(l) {
		return append(dst, f, l)
	}
	return append(dst, hexDigits[f>>4], hexDigits[l&0xf])
}

func appendHash12(dst, text []byte, empty bool) []byte {
	if empty {
		return append(dst, "000000000000"...)
	}
	sum := sha256.Sum256(text)
	return hex.AppendEncode(dst, sum[:6])
}

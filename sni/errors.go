package sni

import (
	"errors"
	"strconv"
)

// Sentinel errors, one per kind of failure. Every error returned by [Parse],
// [Parser.Parse] and [Peek] for a bad or incomplete hello is an [*Error] whose
// Kind is one of these, so callers branch with [errors.Is].
var (
	// ErrShort means the input is a valid prefix of a ClientHello: more bytes
	// are needed. [Error.Need] says how many more at least.
	ErrShort = errors.New("sni: short: need more data")
	// ErrNotTLS means the first bytes are not a TLS record (plaintext HTTP, SSH...).
	ErrNotTLS = errors.New("sni: not-tls: not a TLS record")
	// ErrSSLv2 means an SSLv2-compatible CLIENT-HELLO (RFC 5246, Appendix E.2),
	// which cannot carry a server name.
	ErrSSLv2 = errors.New("sni: sslv2: SSLv2-compatible hello")
	// ErrNotClientHello means a TLS record that does not start a ClientHello
	// (another handshake message, an alert, application data).
	ErrNotClientHello = errors.New("sni: not-client-hello: first message is not a ClientHello")
	// ErrMalformed means the records or the ClientHello break the TLS framing
	// rules (RFC 8446, RFC 5246, RFC 6066, RFC 7301).
	ErrMalformed = errors.New("sni: malformed: invalid ClientHello")
	// ErrRecordOverflow means a record longer than 2^14 bytes (RFC 8446,
	// Section 5.1) or a handshake message longer than the configured cap.
	ErrRecordOverflow = errors.New("sni: record-overflow: record or hello too large")
	// ErrDuplicateExtension means an extension type appears twice (RFC 8446,
	// Section 4.2; GREASE values included).
	ErrDuplicateExtension = errors.New("sni: duplicate-extension: extension sent twice")
	// ErrDuplicateName means two host_name entries in server_name (RFC 6066, Section 3).
	ErrDuplicateName = errors.New("sni: duplicate-name: two host names")
	// ErrInvalidHostname means a host_name that can never be routed: longer
	// than 255 bytes, or with a NUL or other control byte, a space, DEL or an
	// empty label.
	ErrInvalidHostname = errors.New("sni: invalid-hostname: unusable host name")
)

// KindOf returns the one-word kind of err ("short", "not-tls", "sslv2",
// "not-client-hello", "malformed", "record-overflow", "duplicate-extension",
// "duplicate-name", "invalid-hostname"), or "" when err is not one of this
// package's errors.
func KindOf(err error) string {
	switch {
	case errors.Is(err, ErrShort):
		return "short"
	case errors.Is(err, ErrNotTLS):
		return "not-tls"
	case errors.Is(err, ErrSSLv2):
		return "sslv2"
	case errors.Is(err, ErrNotClientHello):
		return "not-client-hello"
	case errors.Is(err, ErrMalformed):
		return "malformed"
	case errors.Is(err, ErrRecordOverflow):
		return "record-overflow"
	case errors.Is(err, ErrDuplicateExtension):
		return "duplicate-extension"
	case errors.Is(err, ErrDuplicateName):
		return "duplicate-name"
	case errors.Is(err, ErrInvalidHostname):
		return "invalid-hostname"
	}
	return ""
}

// Error describes why a ClientHello was refused or is incomplete.
type Error struct {
	// Kind is one of the package's sentinel errors ([ErrShort], [ErrMalformed]...).
	Kind error
	// Offset is the byte offset in the input (the record stream) where the
	// problem was found. For a fragmented hello, offsets past the first record
	// header refer to the reassembled handshake message plus the header length.
	Offset int
	// Need is, for [ErrShort], the minimum number of additional bytes needed.
	// It is 0 for other kinds.
	Need int
	// Detail says what rule was broken, e.g. "legacy_session_id longer than 32 bytes".
	Detail string
	// Ext is the extension type being parsed, when Detail concerns one.
	Ext uint16
	// InExt reports whether Ext is set.
	InExt bool
	// Err is the read error that ended [Peek] before the hello was complete
	// (io.ErrUnexpectedEOF, a deadline error...), for Kind [ErrShort].
	Err error
}

// Error returns "sni: <kind>: <detail> (offset N)".
func (e *Error) Error() string {
	b := make([]byte, 0, 96)
	b = append(b, "sni: "...)
	b = append(b, KindOf(e.Kind)...)
	if e.Detail != "" {
		b = append(b, ": "...)
		b = append(b, e.Detail...)
	}
	if e.InExt {
		b = append(b, " in extension 0x"...)
		b = appendHex16(b, e.Ext)
	}
	if e.Kind == ErrShort && e.Need > 0 {
		b = append(b, ": need "...)
		b = strconv.AppendInt(b, int64(e.Need), 10)
		b = append(b, " more bytes"...)
	}
	b = append(b, " (offset "...)
	b = strconv.AppendInt(b, int64(e.Offset), 10)
	b = append(b, ')')
	if e.Err != nil {
		b = append(b, ": "...)
		b = append(b, e.Err.Error()...)
	}
	return string(b)
}

// Unwrap returns e.Kind and e.Err, so errors.Is(err, ErrShort) and
// errors.Is(err, os.ErrDeadlineExceeded) both work.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

func errAt(kind error, off int, detail string) *Error {
	return &Error{Kind: kind, Offset: off, Detail: detail}
}

func errExt(kind error, off int, ext uint16, detail string) *Error {
	return &Error{Kind: kind, Offset: off, Detail: detail, Ext: ext, InExt: true}
}

func errShort(off, need int) *Error {
	if need < 1 {
		need = 1
	}
	return &Error{Kind: ErrShort, Offset: off, Need: need, Detail: "incomplete ClientHello"}
}

const hexDigits = "0123456789abcdef"

func appendHex16(b []byte, v uint16) []byte {
	return append(b, hexDigits[v>>12], hexDigits[v>>8&0xf], hexDigits[v>>4&0xf], hexDigits[v&0xf])
}

package proxyproto

import (
	"errors"
	"strconv"
)

// Sentinel errors, one per kind of failure. Every error returned by [Decode],
// [Read] and the [Listener] for a bad, incomplete or refused header is an
// [*Error] whose Kind is one of these, so callers branch with [errors.Is].
var (
	// ErrShort means the input is a valid prefix of a PROXY header: more bytes
	// are needed. [Error.Need] says how many more at least. From [Read] it
	// wraps the read error that ended the header (io.ErrUnexpectedEOF,
	// os.ErrDeadlineExceeded...).
	ErrShort = errors.New("proxyproto: short: need more data")
	// ErrNotProxy means the first bytes are neither the v1 "PROXY " nor the
	// v2 binary signature (spec section 2.2: "the connection must be dropped").
	ErrNotProxy = errors.New("proxyproto: not-proxy: no PROXY protocol signature")
	// ErrInvalidV1 means a v1 line that does not exactly match section 2.1.
	ErrInvalidV1 = errors.New("proxyproto: invalid-v1: malformed v1 line")
	// ErrInvalidV2 means a v2 header with a bad version, command, family or
	// length (section 2.2).
	ErrInvalidV2 = errors.New("proxyproto: invalid-v2: malformed v2 header")
	// ErrTLV means a TLV whose framing or value breaks section 2.2 (a TLV
	// running past the header, a CRC32C value that is not 4 bytes, a
	// UNIQUE_ID over 128 bytes, an SSL TLV with broken sub-TLVs...).
	ErrTLV = errors.New("proxyproto: tlv: malformed TLV")
	// ErrBadCRC means the CRC32C TLV does not match the header (section 2.2.3:
	// the receiver "MUST treat the TCP connection providing the header as
	// invalid").
	ErrBadCRC = errors.New("proxyproto: bad-crc: CRC32C mismatch")
	// ErrTooLong means a v1 line without CRLF in its first 107 bytes (section
	// 2.1), or a header larger than the configured limit.
	ErrTooLong = errors.New("proxyproto: too-long: header too long")
	// ErrRejected means the [Listener] refused a connection: its [Policy]
	// said [Reject], a header came where none is allowed, or the Validate
	// hook returned an error (wrapped in [Error.Err]).
	ErrRejected = errors.New("proxyproto: rejected: connection refused by policy")
)

// KindOf returns the one-word kind of err ("short", "not-proxy",
// "invalid-v1", "invalid-v2", "tlv", "bad-crc", "too-long", "rejected"), or
// "" when err is not one of this package's errors.
func KindOf(err error) string {
	switch {
	case errors.Is(err, ErrShort):
		return "short"
	case errors.Is(err, ErrNotProxy):
		return "not-proxy"
	case errors.Is(err, ErrInvalidV1):
		return "invalid-v1"
	case errors.Is(err, ErrInvalidV2):
		return "invalid-v2"
	case errors.Is(err, ErrTLV):
		return "tlv"
	case errors.Is(err, ErrBadCRC):
		return "bad-crc"
	case errors.Is(err, ErrTooLong):
		return "too-long"
	case errors.Is(err, ErrRejected):
		return "rejected"
	}
	return ""
}

// Error describes why a header was refused or is incomplete.
type Error struct {
	// Kind is one of the package's sentinel errors ([ErrShort], [ErrInvalidV2]...).
	Kind error
	// Offset is the byte offset in the header where the problem was found.
	Offset int
	// Need is, for [ErrShort], the minimum number of additional bytes
	// needed. It is 0 for other kinds.
	Need int
	// Detail says which rule was broken, e.g. "port with a leading zero".
	Detail string
	// TLV is the type of the TLV (or SSL sub-TLV) being parsed, when Detail
	// concerns one; InTLV reports whether it is set.
	TLV   TLVType
	InTLV bool
	// Err is the underlying cause: the read error that ended [Read] early,
	// or the error returned by [Listener.Validate].
	Err error
}

// Error returns "proxyproto: <kind>: <detail> (offset N)".
func (e *Error) Error() string {
	b := make([]byte, 0, 96)
	b = append(b, "proxyproto: "...)
	b = append(b, KindOf(e.Kind)...)
	if e.Detail != "" {
		b = append(b, ": "...)
		b = append(b, e.Detail...)
	}
	if e.InTLV {
		b = append(b, " in TLV "...)
		b = append(b, e.TLV.String()...)
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

// problem is the allocation-free form of an [*Error] used inside the
// decoder; code is pOK when there is no problem.
type problem struct {
	detail    string
	off, need int32
	code      uint8
	tlv       TLVType
	inTLV     bool
}

const (
	pOK uint8 = iota
	pShort
	pNotProxy
	pInvalidV1
	pInvalidV2
	pTLV
	pBadCRC
	pTooLong
)

func kindOf(code uint8) error {
	switch code {
	case pShort:
		return ErrShort
	case pNotProxy:
		return ErrNotProxy
	case pInvalidV1:
		return ErrInvalidV1
	case pInvalidV2:
		return ErrInvalidV2
	case pTLV:
		return ErrTLV
	case pBadCRC:
		return ErrBadCRC
	}
	return ErrTooLong
}

func (p problem) err() *Error {
	return &Error{Kind: kindOf(p.code), Offset: int(p.off), Need: int(p.need), Detail: p.detail, TLV: p.tlv, InTLV: p.inTLV}
}

// bad, badTLV and short describe a failure in *p and return 0, the length
// the decoders return on failure.
func (p *problem) bad(code uint8, off int, detail string) int {
	*p = problem{code: code, off: int32(off), detail: detail}
	return 0
}

func (p *problem) badTLV(code uint8, off int, t TLVType, detail string) bool {
	*p = problem{code: code, off: int32(off), detail: detail, tlv: t, inTLV: true}
	return false
}

func (p *problem) short(off, need int) int {
	if need < 1 {
		need = 1
	}
	*p = problem{code: pShort, off: int32(off), need: int32(need), detail: "incomplete header"}
	return 0
}

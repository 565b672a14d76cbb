// Package proxyproto reads and writes the PROXY protocol, versions 1 (text)
// and 2 (binary), as specified by HAProxy's doc/proxy-protocol.txt, and
// wraps a [net.Listener] so that servers behind HAProxy, Envoy or a cloud
// load balancer see the real client address.
//
// # Decoding
//
// [Decode] parses the header at the start of a []byte and returns a
// [Header] and the number of bytes it used; the rest belongs to the
// application. A strict prefix of a header gives [ErrShort] with the number
// of bytes still needed. [Read] does the same from a *bufio.Reader, consumes
// nothing unless a complete valid header is there, and accepts headers split
// across reads (bound it with a deadline). Both are strict: v1 lines of at
// most 107 bytes with exactly one space, no leading zeros and "TCP6
// ::ffff:a.b.c.d" accepted; v2 version 2 only, LOCAL and PROXY over every
// family and transport, LOCAL skipping exactly len bytes; the CRC32C TLV
// verified; every TLV framing error, a UNIQUE_ID over 128 bytes and broken
// SSL sub-TLVs refused at decode time.
//
// Addresses are [net/netip.AddrPort] values; UNIX sockets are paths. TLVs
// are a view into the decoded bytes ([TLVs]) with accessors that allocate
// nothing: [TLVs.ALPN], [TLVs.Authority], [TLVs.UniqueID], [TLVs.NetNS],
// [TLVs.CRC32C], [TLVs.SSL] (with [SSL.Version], [SSL.CN], [SSL.Cipher]...),
// and the cloud types [TLVs.AWSVPCEndpointID],
// [TLVs.AzurePrivateEndpointLinkID], [TLVs.GCPPSCConnectionID].
//
// HAProxy sends the SSL TLV with verify=0 even when the client presented no
// certificate: test [Header.ClientCertVerified] (or [SSL.ClientCertVerified]),
// never Verify alone.
//
//	h, n, err := proxyproto.Decode(buf)
//	if errors.Is(err, proxyproto.ErrShort) { /* read more */ }
//	if err != nil { /* drop the connection */ }
//	client := h.Source          // netip.AddrPort
//	sni, _ := h.TLVs.Authority() // []byte view
//	payload := buf[n:]
//
// # Encoding
//
// [Header.AppendBinary] appends the wire form to a buffer, the v1 line of
// text or the v2 binary form as Header.Version says, allocating nothing;
// [Header.MarshalBinary] and [Header.WriteTo] are thin wrappers over it. [TLVOptions] builds TLVs in HAProxy's order and
// a CRC32C TLV is filled in by the encoder.
//
// # Listener
//
// [Listener] is configured by struct literal: the peers trusted to send a
// header ([Listener.Trusted] or a [Policy] returning [Require], [Optional],
// [Skip] or [Reject]), a header timeout, a size limit, a Validate hook and an
// optional *slog.Logger. Accept never waits on a peer: it reads the header
// with one non-blocking read in the caller's goroutine and returns the
// connection at once when the header is complete, which is the common case;
// an incomplete header is finished by a goroutine of its own, and the
// connection is returned by a later Accept (a blocked Accept is woken
// through the inner listener's deadline, which the Listener owns). So a
// silent or slow peer delays no one, RemoteAddr never blocks (http.Server
// calls it from its Serve goroutine in ConnState and ConnContext), and a
// refused peer is closed and logged without Accept returning an error, so it
// can never end http.Server.Serve. Inner listeners without SetDeadline are
// served by a background accept goroutine instead.
//
//	ln := &proxyproto.Listener{
//		Listener: inner,
//		Trusted:  []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
//	}
//	log.Fatal(http.Serve(ln, handler))
//
// # Errors
//
// Errors are [*Error] values whose Kind is one of the sentinels, for
// [errors.Is]: [ErrShort], [ErrNotProxy], [ErrInvalidV1], [ErrInvalidV2],
// [ErrTLV], [ErrBadCRC], [ErrTooLong], [ErrRejected]. [KindOf] returns the
// one-word kind ("short", "not-proxy", "invalid-v1", "invalid-v2", "tlv",
// "bad-crc", "too-long", "rejected").
//
// # pires/go-proxyproto
//
// [ToPires] and [FromPires] convert to and from *proxyproto.Header of
// github.com/pires/go-proxyproto for code that already uses it.
//
// # Examples
//
// ExampleDecode reads a header from bytes and ExampleListener from
// connections; ExampleFromAddrs builds the header a proxy sends upstream,
// ExampleHeader_AppendBinary writes one header in both versions, and
// ExampleTLVs builds TLVs in HAProxy's order with a CRC32C.
package proxyproto

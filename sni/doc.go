// Package sni reads the TLS ClientHello a client sends first, without
// terminating TLS: the server name to route on, ALPN, versions, cipher
// suites, groups, key shares, signature algorithms, extension order, ECH
// presence and JA3/JA4 fingerprints.
//
// It is the first thing a custom TLS proxy runs on every accepted
// connection, so it is strict about the wire format and costs no
// allocation on the hot path.
//
// # Parsing bytes
//
// [Parse] takes the byte stream from its first TLS record header and returns
// a [Hello], a small value whose accessors are views into the input: nothing
// is copied and lists are decoded only when iterated ([Uint16s], [Protocols],
// [KeyShares], [Extensions]). A hello that fits in one record costs no
// allocation. A hello fragmented over several records is reassembled into
// [Parser.Scratch]; a [Parser] reused across calls then allocates nothing
// either.
//
//	h, err := sni.Parse(buf)
//	switch {
//	case errors.Is(err, sni.ErrShort):
//		// read more (err's *sni.Error says at least how many bytes)
//	case err != nil:
//		// refuse the connection
//	default:
//		name := h.AppendServerName(scratch[:0]) // routing form, no allocation
//	}
//
// # Peeking a connection
//
// [Peek] reads a hello from a net.Conn under a deadline and a size cap,
// across TCP segments and records, reading never more than the hello
// itself, and returns a [*Conn] that replays the bytes it read before
// reading from the connection. [Conn] unwraps with NetConn and forwards
// io.ReaderFrom and io.WriterTo, so io.Copy between two TCP connections
// still splices once the replayed bytes are written. Peek allocates its
// Conn and one buffer holding the hello (plus the reassembly buffer for a
// fragmented one); [PeekOptions.Buffer] lets a server reuse the buffer, and
// [PeekOptions.ReadAhead] lets it read a hello that came in one segment in
// one read, replaying whatever followed.
//
//	h, conn, err := sni.Peek(c, sni.PeekOptions{Timeout: 5 * time.Second})
//	if err != nil {
//		conn.Close()
//		return
//	}
//	addr, ok := backends[h.ServerName()] // map[string]string: name to "host:port"
//	if !ok {
//		conn.Close()
//		return
//	}
//	up, err := net.DialTimeout("tcp", addr, 5*time.Second)
//	if err != nil {
//		conn.Close()
//		return
//	}
//	go io.Copy(up, conn) // the hello first, then the rest of the stream
//	io.Copy(conn, up)
//
// Package [github.com/drawbridge-go/drawbridge/proxy] does all of this for a
// server, with a route table, PROXY headers, half-close, idle deadlines and
// graceful shutdown.
//
// # Server names
//
// [Hello.RawServerName] is the host_name exactly as sent. Routing uses the
// routing form from [Hello.AppendServerName] or [Hello.ServerName]: ASCII
// letters lowercased and one trailing dot removed. OpenSSL sends a trailing
// dot when given one (crypto/tls refuses such a hello; this package does
// not). Names longer than 255 bytes or with a NUL or another control byte, a
// space, DEL or an empty label are refused with [ErrInvalidHostname]; other bytes (underscores,
// non-ASCII) are passed through for the routing table to reject. Entries of
// unknown name_type are skipped (RFC 6066, Section 3).
//
// # Encrypted Client Hello
//
// With ECH ([Hello.HasECH]) the server name is the outer, client-facing
// public name of the ECH configuration, not the real destination, which is
// encrypted in the inner hello. Route such connections by the public name to
// a server holding the ECH keys; this package never decrypts.
//
// # Errors
//
// Every failure is an [*Error] with the byte offset and a detail, whose Kind
// is one of [ErrShort], [ErrNotTLS], [ErrSSLv2], [ErrNotClientHello],
// [ErrMalformed], [ErrRecordOverflow], [ErrDuplicateExtension],
// [ErrDuplicateName] or [ErrInvalidHostname]; branch with [errors.Is], or
// name the kind with [KindOf]. The rules, from RFC 8446 and RFC 5246 unless
// noted:
//
//   - records: type 22 (handshake) with version 0x03xx; length 1 to 2^14;
//     no other record type before the hello is complete; nothing after the
//     hello inside its last record;
//   - the handshake message: a ClientHello no longer than the cap
//     ([DefaultMaxSize], 64 KiB, or [Parser.MaxSize]);
//   - the ClientHello: legacy_session_id at most 32 bytes; a non-empty, even
//     cipher_suites; compression methods including null; no bytes after the
//     extensions block;
//   - extensions: each type at most once (GREASE values included, checked in
//     linear time); pre_shared_key last; the framing of server_name, ALPN
//     (no empty protocol name, RFC 7301), supported_versions,
//     supported_groups, signature_algorithms(_cert), key_share,
//     ec_point_formats, status_request, renegotiation_info, cookie,
//     psk_key_exchange_modes and pre_shared_key checked as crypto/tls does;
//   - server_name: a non-empty list of non-empty names, at most one host_name.
//
// # Limits
//
// The parser reads TLS over TCP only (not DTLS or QUIC). It does not decrypt
// ECH and does not look inside extensions it does not expose. An
// SSLv2-compatible hello is recognised only to be refused. JA3 and JA4 are
// computed on demand from the parsed views ([Hello.AppendJA3],
// [Hello.AppendJA4]); JA4 follows FoxIO's specification for TLS over TCP
// ("t" prefix).
//
// # Examples
//
// ExampleParse reads a ClientHello from bytes, ExamplePeek from a
// connection, and ExampleParser a hello split over several TLS records,
// reusing its buffer. ExampleHello_ALPN and ExampleHello_JA4 read what the
// client offered; ExampleKindOf branches on the kind of error.
package sni

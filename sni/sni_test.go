package sni_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/internal/tlstest"
	"github.com/drawbridge-go/drawbridge/sni"
)

// checkExpected compares a result with an index.tsv "expected" column.
func checkExpected(t *testing.T, what string, h sni.Hello, err error, expected string) {
	t.Helper()
	if kind, ok := strings.CutPrefix(expected, "error:"); ok {
		if got := sni.KindOf(err); got != kind {
			t.Errorf("%s: error kind = %q (%v); want %q", what, got, err, kind)
		}
		return
	}
	if err != nil {
		t.Errorf("%s: error %v; want %s", what, err, expected)
		return
	}
	if expected == "(none)" {
		if h.HasServerName() {
			t.Errorf("%s: server name %q; want none", what, h.RawServerName())
		}
		return
	}
	if got := string(h.RawServerName()); got != expected {
		t.Errorf("%s: RawServerName() = %q; want %q", what, got, expected)
	}
}

// splits returns the chunk-size patterns Peek is fed with for input b.
func splits(b []byte, name string) map[string]func(int) int {
	m := map[string]func(int) int{
		"whole":  nil,
		"1-byte": func(int) int { return 1 },
		"2-byte": func(int) int { return 2 },
		"3-byte": func(int) int { return 3 },
		"7-byte": func(int) int { return 7 },
		"100":    func(int) int { return 100 },
		"random": func() func(int) int {
			r := rand.New(rand.NewPCG(1, uint64(len(b))))
			return func(int) int { return 1 + r.IntN(64) }
		}(),
	}
	// Record boundaries: each read ends where a record ends.
	var bounds []int
	for off := 0; off+5 <= len(b); {
		n := int(b[off+3])<<8 | int(b[off+4])
		bounds = append(bounds, 5, n)
		off += 5 + n
	}
	m["records"] = func(i int) int {
		if i < len(bounds) {
			return bounds[i]
		}
		return len(b)
	}
	// A split inside the host name.
	if name != "" {
		if i := bytes.Index(b, []byte(name)); i > 0 {
			cut := i + len(name)/2
			m["in-name"] = func(i int) int {
				if i == 0 {
					return cut
				}
				return len(b)
			}
			m["1-byte-name"] = func(i int) int {
				if i == 0 {
					return cut
				}
				return 1
			}
		}
	}
	return m
}

func TestCorpus(t *testing.T) {
	for _, e := range loadCorpus(t) {
		t.Run(e.file, func(t *testing.T) {
			h, err := sni.Parse(e.data)
			checkExpected(t, "Parse", h, err, e.expected)
			if err == nil {
				if h.Len() > len(e.data) || h.Len() < 9 {
					t.Errorf("Len() = %d; input is %d bytes", h.Len(), len(e.data))
				}
				if e.file != "edge_hello_then_ccs_appdata.bin" && h.Len() != len(e.data) {
					t.Errorf("Len() = %d; want %d", h.Len(), len(e.data))
				}
			}
			name := ""
			if !strings.HasPrefix(e.expected, "error:") && e.expected != "(none)" {
				name = e.expected
			}
			for sname, next := range splits(e.data, name) {
				for _, opts := range peekOptions() {
					sname := sname + opts.name
					var c memConn
					c.reset(e.data, next)
					ph, pc, perr := sni.Peek(&c, opts.PeekOptions)
					checkExpected(t, "Peek/"+sname, ph, perr, e.expected)
					if perr == nil {
						if c.pos != ph.Len() && !opts.ReadAhead || c.pos < ph.Len() {
							t.Errorf("Peek/%s read %d bytes; hello is %d", sname, c.pos, ph.Len())
						}
						if !bytes.Equal(ph.Raw(), h.Raw()) {
							t.Errorf("Peek/%s: Raw differs from Parse", sname)
						}
					}
					got, rerr := io.ReadAll(pc)
					if rerr != nil || !bytes.Equal(got, e.data) {
						t.Errorf("Peek/%s: replay read %d bytes (%v); want the %d input bytes exactly once", sname, len(got), rerr, len(e.data))
					}
				}
			}
			if err != nil {
				return
			}
			// The same hello re-fragmented into records of many sizes.
			msg := h.Raw()
			for _, size := range []int{1, 2, 3, 4, 5, 17, 100, 512, 16384} {
				b := tlstest.Records(msg, size)
				var p sni.Parser
				rh, err := p.Parse(b)
				checkExpected(t, "Parse/records", rh, err, e.expected)
				if err == nil && (rh.Len() != len(b) || !bytes.Equal(rh.Raw(), msg)) {
					t.Errorf("records of %d: Len() = %d (want %d) or Raw differs", size, rh.Len(), len(b))
				}
				for sname, next := range splits(b, name) {
					for _, opts := range peekOptions() {
						var c memConn
						c.reset(b, next)
						ph, pc, perr := sni.Peek(&c, opts.PeekOptions)
						checkExpected(t, "Peek/records/"+sname+opts.name, ph, perr, e.expected)
						if got, _ := io.ReadAll(pc); !bytes.Equal(got, b) {
							t.Errorf("records of %d, Peek/%s%s: replay differs", size, sname, opts.name)
						}
					}
				}
			}
		})
	}
}

// peekOptions are the ways TestCorpus peeks every split: the default, and
// reading ahead into a buffer large enough for most hellos or into one that
// must grow.
func peekOptions() []struct {
	name string
	sni.PeekOptions
} {
	return []struct {
		name string
		sni.PeekOptions
	}{
		{"", sni.PeekOptions{}},
		{"+ahead4k", sni.PeekOptions{ReadAhead: true, Buffer: make([]byte, 0, 4096)}},
		{"+ahead16", sni.PeekOptions{ReadAhead: true, Buffer: make([]byte, 0, 16)}},
	}
}

// TestStrictPrefixesShort checks that every strict prefix of every valid
// hello (also re-fragmented) is ErrShort, and that Need never asks for a byte
// past the end of the hello.
func TestStrictPrefixesShort(t *testing.T) {
	for _, e := range loadCorpus(t) {
		h, err := sni.Parse(e.data)
		if err != nil {
			continue
		}
		inputs := [][]byte{e.data[:h.Len()]}
		if h.Len() < 600 { // re-fragmented copies of the small ones: the test is quadratic
			inputs = append(inputs, tlstest.Records(h.Raw(), 7), tlstest.Records(h.Raw(), 1))
		}
		for _, b := range inputs {
			var p sni.Parser
			for i := range len(b) {
				_, err := p.Parse(b[:i])
				var se *sni.Error
				if !errors.As(err, &se) || !errors.Is(err, sni.ErrShort) {
					t.Fatalf("%s: Parse(first %d of %d bytes) = %v; want ErrShort", e.file, i, len(b), err)
				}
				if se.Need < 1 || i+se.Need > len(b) {
					t.Fatalf("%s: Parse(first %d of %d bytes): Need = %d", e.file, i, len(b), se.Need)
				}
			}
		}
	}
}

func TestRoutingName(t *testing.T) {
	for _, tt := range []struct{ raw, want string }{
		{"UPPER.Example.COM", "upper.example.com"},
		{"trailing.example.com.", "trailing.example.com"},
		{"_acme.Example.com", "_acme.example.com"},
		{"localhost", "localhost"},
	} {
		h, err := sni.Parse(record(buildHello(helloSpec{ciphers: []uint16{0x1301}, exts: []ext{{0, sniExt(0, tt.raw)}}})))
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.raw, err)
		}
		if got := h.ServerName(); got != tt.want {
			t.Errorf("ServerName() of %q = %q; want %q", tt.raw, got, tt.want)
		}
		if got := string(h.AppendServerName([]byte("x:"))); got != "x:"+tt.want {
			t.Errorf("AppendServerName of %q = %q", tt.raw, got)
		}
		if got := string(h.RawServerName()); got != tt.raw {
			t.Errorf("RawServerName() = %q; want %q", got, tt.raw)
		}
	}
}

func TestErrors(t *testing.T) {
	c := []uint16{0x1301}
	hello := func(exts ...ext) []byte { return record(buildHello(helloSpec{ciphers: c, exts: exts})) }
	sn := func(name string) []byte { return hello(ext{0, sniExt(0, name)}) }
	valid := buildHello(helloSpec{ciphers: c, exts: []ext{{0, sniExt(0, "a.example")}}})
	many := func(dup uint16) []byte {
		exts := []ext{{23, nil}, {0x0a0a, nil}, {100, nil}}
		for i := range 20 {
			exts = append(exts, ext{uint16(0x1000 + i), nil})
		}
		if dup != 0 {
			exts = append(exts, ext{dup, nil})
		}
		return hello(exts...)
	}
	for _, tt := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, sni.ErrShort},
		{"NUL in name", sn("a\x00.example"), sni.ErrInvalidHostname},
		{"space in name", sn("a b.example"), sni.ErrInvalidHostname},
		{"DEL in name", sn("a\x7f"), sni.ErrInvalidHostname},
		{"dot only", sn("."), sni.ErrInvalidHostname},
		{"leading dot", sn(".a.example"), sni.ErrInvalidHostname},
		{"empty label", sn("a..example"), sni.ErrInvalidHostname},
		{"two dots at end", sn("a.example.."), sni.ErrInvalidHostname},
		{"empty name", sn(""), sni.ErrMalformed},
		{"name of 256 bytes", sn(strings.Repeat("a", 256)), sni.ErrInvalidHostname},
		{"name of 255 bytes", sn(strings.Repeat("a", 255)), nil},
		{"empty name list", hello(ext{0, []byte{0, 0}}), sni.ErrMalformed},
		{"two host names", hello(ext{0, sniExt(0, "a.example", 0, "b.example")}), sni.ErrDuplicateName},
		{"unknown name type skipped", hello(ext{0, sniExt(7, "x", 0, "b.example")}), nil},
		{"empty unknown-type name", hello(ext{0, sniExt(7, "", 0, "b.example")}), sni.ErrMalformed},
		{"data after name list", hello(ext{0, append(sniExt(0, "a"), 0)}), sni.ErrMalformed},
		{"empty ALPN name", hello(ext{16, alpnExt("h2", "")}), sni.ErrMalformed},
		{"empty ALPN list", hello(ext{16, []byte{0, 0}}), sni.ErrMalformed},
		{"duplicate GREASE", hello(ext{0x2a2a, nil}, ext{0x2a2a, []byte{0}}), sni.ErrDuplicateExtension},
		{"different GREASE", hello(ext{0x2a2a, nil}, ext{0x3a3a, nil}), nil},
		{"duplicate high type", hello(ext{0xff01, []byte{0}}, ext{0xfe0d, nil}, ext{0xff01, []byte{0}}), sni.ErrDuplicateExtension},
		{"many types", many(0), nil},
		{"many types, duplicate late", many(0x1013), sni.ErrDuplicateExtension},
		{"many types, duplicate early", many(0x1001), sni.ErrDuplicateExtension},
		{"many types, duplicate low type", many(23), sni.ErrDuplicateExtension},
		{"many types, duplicate type 100", many(100), sni.ErrDuplicateExtension},
		{"many types, duplicate GREASE", many(0x0a0a), sni.ErrDuplicateExtension},
		{"status_request", hello(ext{5, []byte{1, 0, 0, 0, 0}}), nil},
		{"status_request truncated", hello(ext{5, []byte{1, 0, 2, 0}}), sni.ErrMalformed},
		{"status_request trailing byte", hello(ext{5, []byte{1, 0, 0, 0, 0, 9}}), sni.ErrMalformed},
		{"psk not last", hello(ext{41, nil}, ext{23, nil}), sni.ErrMalformed},
		{"psk empty identities", hello(ext{41, []byte{0, 0, 0, 0}}), sni.ErrMalformed},
		{"odd supported_groups", hello(ext{10, []byte{0, 3, 0, 29, 0}}), sni.ErrMalformed},
		{"odd supported_versions", hello(ext{43, []byte{3, 3, 4, 3}}), sni.ErrMalformed},
		{"empty key_share entry", hello(ext{51, []byte{0, 4, 0, 29, 0, 0}}), sni.ErrMalformed},
		{"empty key_share list", hello(ext{51, []byte{0, 0}}), nil},
		{"compression without null", record(buildHello(helloSpec{ciphers: c, compression: []byte{1}, noExts: true})), sni.ErrMalformed},
		{"empty cipher suites", record(buildHello(helloSpec{noExts: true})), sni.ErrMalformed},
		{"session id 33", record(buildHello(helloSpec{ciphers: c, sessionID: make([]byte, 33), noExts: true})), sni.ErrMalformed},
		{"session id 32", record(buildHello(helloSpec{ciphers: c, sessionID: make([]byte, 32), noExts: true})), nil},
		{"truncated extension header", record(append(bytes.Clone(valid), 0)), sni.ErrMalformed},
		{"zero-length record", append([]byte{0x16, 3, 1, 0, 0}, record(valid)...), sni.ErrMalformed},
		{"zero-length record mid-hello", append(tlstest.Records(valid[:10], 10), append([]byte{0x16, 3, 1, 0, 0}, tlstest.Records(valid[10:], 100)...)...), sni.ErrMalformed},
		{"record over 2^14", []byte{0x16, 3, 1, 0x40, 0x01}, sni.ErrRecordOverflow},
		{"record version 2.x", []byte{0x16, 2, 0, 0, 10}, sni.ErrNotTLS},
		{"later record version 2.x", append(tlstest.Records(valid[:10], 10), 0x16, 2, 0, 0, 1), sni.ErrMalformed},
		{"CCS inside the hello", append(tlstest.Records(valid[:10], 10), 0x14, 3, 3, 0, 1, 1), sni.ErrMalformed},
		{"alert first", []byte{0x15, 3, 1, 0, 2, 1, 0}, sni.ErrNotClientHello},
		{"server hello", record([]byte{2, 0, 0, 0}), sni.ErrNotClientHello},
		{"data after hello in record", record(append(bytes.Clone(valid), 1, 0, 0, 0)), sni.ErrMalformed},
		{"hello then CCS record", append(record(valid), 0x14, 3, 3, 0, 1, 1), nil},
		{"sslv2", []byte{0x80, 0x2e, 0x01, 0x03, 0x01}, sni.ErrSSLv2},
		{"ssh", []byte("SSH-2.0-OpenSSH\r\n"), sni.ErrNotTLS},
		{"handshake over 64 KiB", []byte{0x16, 3, 1, 0x40, 0x00, 1, 1, 0, 1}, sni.ErrRecordOverflow},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, err := sni.Parse(tt.in)
			if tt.want == nil {
				if err != nil || !h.IsValid() {
					t.Fatalf("Parse = %v; want success", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse = %v; want %v", err, tt.want)
			}
			var se *sni.Error
			if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), "sni: ") {
				t.Fatalf("error %v is not an *sni.Error starting with sni:", err)
			}
			// Peek agrees on the kind (a short input surfaces as ErrShort too).
			var mc memConn
			mc.reset(tt.in, func(int) int { return 3 })
			if _, _, perr := sni.Peek(&mc, sni.PeekOptions{}); !errors.Is(perr, tt.want) {
				t.Fatalf("Peek = %v; want %v", perr, tt.want)
			}
		})
	}
}

func TestMaxSize(t *testing.T) {
	b := readFile(t, "go_default.bin")
	p := sni.Parser{MaxSize: 1000}
	if _, err := p.Parse(b); !errors.Is(err, sni.ErrRecordOverflow) {
		t.Fatalf("Parse with MaxSize 1000 = %v; want ErrRecordOverflow", err)
	}
	var c memConn
	c.reset(b, nil)
	if _, _, err := sni.Peek(&c, sni.PeekOptions{MaxSize: 1000}); !errors.Is(err, sni.ErrRecordOverflow) {
		t.Fatalf("Peek with MaxSize 1000 = %v; want ErrRecordOverflow", err)
	}
	if c.pos > 9 {
		t.Errorf("Peek read %d bytes before refusing", c.pos)
	}
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	for _, e := range loadCorpus(t) {
		if e.file == name {
			return e.data
		}
	}
	t.Fatalf("no corpus file %s", name)
	return nil
}

func TestAccessors(t *testing.T) {
	h, err := sni.Parse(readFile(t, "go_alpn.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if got := h.ALPN().Strings(); !slices.Equal(got, []string{"h2", "http/1.1"}) {
		t.Errorf("ALPN = %q", got)
	}
	if h.ALPN().Len() != 2 || string(h.ALPN().First()) != "h2" || !h.ALPN().Contains("http/1.1") {
		t.Errorf("ALPN Len/First/Contains wrong")
	}
	if v := h.Version(); v != 0x0304 {
		t.Errorf("Version() = %#x; want 0x0304", v)
	}
	if v := h.LegacyVersion(); v != 0x0303 {
		t.Errorf("LegacyVersion() = %#x", v)
	}
	if got := h.KeyShareGroups().AppendTo(nil); !slices.Equal(got, []uint16{0x11ec, 0x001d}) {
		t.Errorf("KeyShareGroups = %#x", got)
	}
	if !h.SupportedGroups().Contains(0x001d) || !h.CipherSuites().Contains(0x1301) || h.SignatureAlgorithms().Len() == 0 {
		t.Errorf("groups/ciphers/sigalgs lists wrong")
	}
	if h.HasECH() {
		t.Errorf("HasECH() = true")
	}
	types := h.Extensions().Types(nil)
	if len(types) != h.Extensions().Len() || types[0] != 0 {
		t.Errorf("Extensions = %#x", types)
	}
	if d, ok := h.Extensions().Lookup(16); !ok || len(d) != 14 {
		t.Errorf("Lookup(ALPN) = %x, %v", d, ok)
	}
	if len(h.Random()) != 32 || len(h.SessionID()) != 32 || !bytes.Equal(h.CompressionMethods(), []byte{0}) {
		t.Errorf("Random/SessionID/CompressionMethods wrong")
	}

	ech, err := sni.Parse(readFile(t, "go_ech.bin"))
	if err != nil || !ech.HasECH() || ech.ServerName() != "public.example.com" {
		t.Errorf("go_ech: HasECH=%v ServerName=%q err=%v", ech.HasECH(), ech.ServerName(), err)
	}
	g, err := sni.Parse(readFile(t, "edge_grease_go.bin"))
	if err != nil || g.Version() != 0x0304 || !g.SupportedVersions().Contains(0x6a6a) {
		t.Errorf("edge_grease_go: Version=%#x err=%v", g.Version(), err)
	}
	old, err := sni.Parse(readFile(t, "openssl_tls10.bin"))
	if err != nil || old.Version() != 0x0301 {
		t.Errorf("openssl_tls10: Version=%#x err=%v", old.Version(), err)
	}
	var zero sni.Hello
	if zero.IsValid() || zero.ServerName() != "" || zero.ALPN().Len() != 0 || zero.JA4() != "" || zero.Version() != 0 {
		t.Errorf("zero Hello is not empty")
	}
}

func TestZeroRTTStaysUnread(t *testing.T) {
	b := readFile(t, "edge_hello_then_ccs_appdata.bin")
	var c memConn
	c.reset(b, nil)
	h, pc, err := sni.Peek(&c, sni.PeekOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if h.Len() != 1506 || c.pos != 1506 || len(pc.Buffered()) != 1506 {
		t.Fatalf("Len=%d read=%d buffered=%d; want 1506", h.Len(), c.pos, len(pc.Buffered()))
	}
	var w bytes.Buffer
	if n, err := pc.WriteTo(&w); err != nil || n != int64(len(b)) || !bytes.Equal(w.Bytes(), b) {
		t.Fatalf("WriteTo = %d, %v; want all %d bytes", n, err, len(b))
	}

	// Reading ahead takes the early data in the same read, and replays it.
	c.reset(b, nil)
	h, pc, err = sni.Peek(&c, sni.PeekOptions{ReadAhead: true, Buffer: make([]byte, 0, 4096)})
	if err != nil || h.Len() != 1506 || c.pos != len(b) || c.nr != 1 || len(pc.Buffered()) != len(b) {
		t.Fatalf("ReadAhead: %v, Len=%d read=%d in %d reads, buffered=%d; want 1506, all %d in one read", err, h.Len(), c.pos, c.nr, len(pc.Buffered()), len(b))
	}
	if got, _ := io.ReadAll(pc); !bytes.Equal(got, b) {
		t.Fatal("ReadAhead: replay differs")
	}
}

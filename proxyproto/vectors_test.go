package proxyproto_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/drawbridge-go/drawbridge/proxyproto"
)

// vector is one row of testdata/index.tsv.
type vector struct {
	file      string
	expect    string // ok, error, ok-or-error
	headerLen int
	reads     []int // read-splitting pattern; nil means one read; -1 is "the rest"
	meaning   string
	data      []byte
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "index.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	for i, line := range strings.Split(strings.TrimRight(string(raw), "\n"), "\n") {
		if i == 0 {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 8 {
			t.Fatalf("index.tsv line %d: %d fields", i+1, len(f))
		}
		v := vector{file: f[0], expect: f[3], meaning: f[7]}
		if v.headerLen, err = strconv.Atoi(f[4]); err != nil {
			t.Fatalf("index.tsv line %d: %v", i+1, err)
		}
		if f[5] != "-" {
			for _, r := range strings.Split(f[5], ",") {
				if r == "*" {
					v.reads = append(v.reads, -1)
					continue
				}
				n, err := strconv.Atoi(r)
				if err != nil {
					t.Fatalf("index.tsv line %d: reads %q", i+1, f[5])
				}
				v.reads = append(v.reads, n)
			}
		}
		if v.data, err = os.ReadFile(filepath.Join("testdata", v.file)); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if len(vs) != 84 {
		t.Fatalf("index.tsv has %d vectors, want 84", len(vs))
	}
	return vs
}

// chunkReader returns data in reads of the given sizes (-1: all the rest).
type chunkReader struct {
	data  []byte
	sizes []int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := len(r.data)
	if len(r.sizes) > 0 {
		if s := r.sizes[0]; s >= 0 {
			n = min(n, s)
		}
		r.sizes = r.sizes[1:]
	}
	n = copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

var (
	reAddr = regexp.MustCompile(`\b(src|dst)=(\S+)`)
	reStr  = regexp.MustCompile(`\b([A-Z_0-9]+)='([^']*)'`)
	reSSL  = regexp.MustCompile(`SSL\(client=0x([0-9a-f]+),verify=(\d+)`)
)

// checkMeaning compares h with the decoded meaning written in index.tsv.
func checkMeaning(t *testing.T, v vector, h proxyproto.Header) {
	t.Helper()
	m := v.meaning
	if strings.HasPrefix(m, "v1 ") && h.Version != 1 || strings.HasPrefix(m, "v2 ") && h.Version != 2 {
		t.Errorf("%s: version %d; meaning %q", v.file, h.Version, m)
	}
	if strings.Contains(m, " LOCAL ") || strings.Contains(m, "UNKNOWN") {
		if h.Command != proxyproto.Local {
			t.Errorf("%s: command %v, want LOCAL", v.file, h.Command)
		}
	}
	for _, sm := range reAddr.FindAllStringSubmatch(m, -1) {
		got := h.Source
		gotPath := h.SourcePath
		if sm[1] == "dst" {
			got, gotPath = h.Destination, h.DestinationPath
		}
		if ap, err := netip.ParseAddrPort(sm[2]); err == nil {
			if got.Addr().Unmap() != ap.Addr().Unmap() || got.Port() != ap.Port() {
				t.Errorf("%s: %s = %v, want %v", v.file, sm[1], got, ap)
			}
		} else if strings.Trim(sm[2], "'") != gotPath {
			t.Errorf("%s: %s path = %q, want %q", v.file, sm[1], gotPath, sm[2])
		}
	}
	ssl, hasSSL := h.TLVs.SSL()
	for _, sm := range reStr.FindAllStringSubmatch(m, -1) {
		var got []byte
		var ok bool
		switch sm[1] {
		case "ALPN":
			got, ok = h.TLVs.ALPN()
		case "AUTHORITY":
			got, ok = h.TLVs.Authority()
		case "UNIQUE_ID":
			got, ok = h.TLVs.UniqueID()
		case "NETNS":
			got, ok = h.TLVs.NetNS()
		case "SSL_VERSION":
			got, ok = ssl.Version()
		case "SSL_CN":
			got, ok = ssl.CN()
		case "SSL_CIPHER":
			got, ok = ssl.Cipher()
		case "SSL_SIG_ALG":
			got, ok = ssl.SigAlg()
		case "SSL_KEY_ALG":
			got, ok = ssl.KeyAlg()
		case "SSL_GROUP":
			got, ok = ssl.Group()
		case "SSL_SIG_SCHEME":
			got, ok = ssl.SigScheme()
		default:
			continue
		}
		if !ok || string(got) != sm[2] {
			t.Errorf("%s: %s = %q (present %v), want %q", v.file, sm[1], got, ok, sm[2])
		}
	}
	if sm := reSSL.FindStringSubmatch(m); sm != nil {
		client, _ := strconv.ParseUint(sm[1], 16, 8)
		verify, _ := strconv.ParseUint(sm[2], 10, 32)
		if !hasSSL || uint64(ssl.Client) != client || uint64(ssl.Verify) != verify {
			t.Errorf("%s: SSL = %+v (present %v), want client=%d verify=%d", v.file, ssl, hasSSL, client, verify)
		}
		// HAProxy sends verify=0 without a certificate: only CERT_CONN or
		// CERT_SESS with verify=0 means verified.
		if want := client&(proxyproto.ClientCertConn|proxyproto.ClientCertSess) != 0 && verify == 0; h.ClientCertVerified() != want {
			t.Errorf("%s: ClientCertVerified() = %v, want %v", v.file, h.ClientCertVerified(), want)
		}
	}
	if strings.Contains(m, "CRC32C") {
		if _, ok := h.TLVs.CRC32C(); !ok {
			t.Errorf("%s: no CRC32C TLV", v.file)
		}
	}
}

func checkVerdict(t *testing.T, v vector, how string, h proxyproto.Header, n int, err error) {
	t.Helper()
	switch {
	case v.expect == "ok" && err != nil:
		t.Errorf("%s (%s): error %v, want a header of %d bytes", v.file, how, err, v.headerLen)
	case v.expect == "error" && err == nil:
		t.Errorf("%s (%s): decoded %v, want an error", v.file, how, h)
	case err == nil && n != v.headerLen:
		t.Errorf("%s (%s): header length %d, want %d", v.file, how, n, v.headerLen)
	case err == nil:
		checkMeaning(t, v, h)
	}
	if err != nil && proxyproto.KindOf(err) == "" {
		t.Errorf("%s (%s): error %v has no kind", v.file, how, err)
	}
}

// TestVectors runs every vector of index.tsv through Decode, and through
// Read under its read-splitting pattern and under 1-byte reads, checking the
// verdict, the header length, the decoded meaning, and that the bytes after
// the header are left for the application.
func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.file, func(t *testing.T) {
			h, n, err := proxyproto.Decode(v.data)
			checkVerdict(t, v, "Decode", h, n, err)

			readers := map[string]io.Reader{
				"pattern": &chunkReader{data: v.data, sizes: v.reads},
				"1-byte":  iotest.OneByteReader(bytes.NewReader(v.data)),
			}
			for how, r := range readers {
				br := bufio.NewReaderSize(r, 8192)
				h, err := proxyproto.Read(br)
				rest, _ := io.ReadAll(br)
				n := len(v.data) - len(rest)
				if err != nil {
					n = 0
					if !bytes.Equal(rest, v.data) {
						t.Errorf("%s (%s): Read consumed bytes on error", v.file, how)
					}
				}
				checkVerdict(t, v, "Read/"+how, h, n, err)
				if err == nil && !bytes.Equal(rest, v.data[v.headerLen:]) {
					t.Errorf("%s (%s): bytes after the header = %q, want %q", v.file, how, rest, v.data[v.headerLen:])
				}
			}
		})
	}
}

func TestVectorErrorKinds(t *testing.T) {
	want := map[string]string{
		"not-proxy-http.bin":         "not-proxy",
		"not-proxy-tls.bin":          "not-proxy",
		"v1-lowercase.bin":           "not-proxy",
		"v1-too-long-108.bin":        "too-long",
		"v1-no-crlf-eof.bin":         "short",
		"v2-crc32c-bad.bin":          "bad-crc",
		"v2-crc32c-wrong-length.bin": "tlv",
		"v2-bad-version-1.bin":       "invalid-v2",
		"v1-port-too-big.bin":        "invalid-v1",
		"v2-ssl-subtlv-overflow.bin": "tlv",
		"v2-len-exceeds-data.bin":    "short",
	}
	for _, v := range loadVectors(t) {
		k, ok := want[v.file]
		if !ok {
			continue
		}
		_, _, err := proxyproto.Decode(v.data)
		if got := proxyproto.KindOf(err); got != k {
			t.Errorf("Decode(%s) kind = %q (%v); want %q", v.file, got, err, k)
		}
		var pe *proxyproto.Error
		if !errors.As(err, &pe) {
			t.Errorf("Decode(%s) error %T is not *Error", v.file, err)
		}
	}
}

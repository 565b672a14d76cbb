package proxyproto_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/haproxytest"
	"github.com/drawbridge-go/drawbridge/internal/tlstest"
	"github.com/drawbridge-go/drawbridge/proxyproto"
)

// selfSigned returns a PEM bundle (certificate then key) for name.
func selfSigned(t *testing.T, name string) []byte {
	t.Helper()
	return tlstest.NewCert(t, t.TempDir(), name).PEM
}

// TestHAProxy puts real HAProxy in front of a Go backend that uses our
// Listener, with send-proxy-v2 and proxy-v2-options crc32c,unique-id,
// authority (plus ssl and cert-cn on a TLS frontend), and checks the client
// address and TLVs the backend decodes.
func TestHAProxy(t *testing.T) {
	haproxytest.Binary(t)
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &proxyproto.Listener{Listener: inner, Trusted: loopback, HeaderTimeout: 5 * time.Second}
	defer ln.Close()
	bePort := inner.Addr().(*net.TCPAddr).Port
	plainPort, tlsPort := haproxytest.FreePort(t), haproxytest.FreePort(t)
	cfg := fmt.Sprintf(`global
    maxconn 100
defaults
    mode tcp
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend plain
    bind 127.0.0.1:%[1]d
    unique-id-format %%{+X}o\ %%ci:%%cp_%%fi:%%fp_%%Ts_%%rt:%%pid
    default_backend be_plain
frontend tls
    bind 127.0.0.1:%[2]d ssl crt {{dir}}/srv.pem alpn h2,http/1.1
    unique-id-format %%{+X}o\ %%ci:%%cp_%%fi:%%fp_%%Ts_%%rt:%%pid
    default_backend be_tls
backend be_plain
    server go 127.0.0.1:%[3]d send-proxy-v2 proxy-v2-options crc32c,unique-id,authority
backend be_tls
    server go 127.0.0.1:%[3]d send-proxy-v2 proxy-v2-options crc32c,unique-id,authority,ssl,cert-cn,ssl-cipher
`, plainPort, tlsPort, bePort)
	files := map[string][]byte{"srv.pem": selfSigned(t, "proxy.example.test")}
	haproxytest.Check(t, cfg, files)
	inst := haproxytest.Start(t, cfg, files, plainPort, tlsPort)

	type got struct {
		h   proxyproto.Header
		msg string
		err error
	}
	results := make(chan got, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				buf := make([]byte, 4)
				_, err := io.ReadFull(c, buf)
				h, _ := c.(*proxyproto.Conn).Header()
				if h.Command == proxyproto.Local {
					return // a health check, if any
				}
				if err != nil {
					return // haproxytest.Start's port probes connect and hang up
				}
				_, err = c.Write([]byte("pong"))
				h.TLVs = append(proxyproto.TLVs(nil), h.TLVs...)
				results <- got{h, string(buf) + " from " + c.RemoteAddr().String(), err}
			}()
		}
	}()

	roundTrip := func(t *testing.T, c net.Conn) got {
		t.Helper()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatalf("client write: %v\n%s", err, inst.Output())
		}
		reply := make([]byte, 4)
		if _, err := io.ReadFull(c, reply); err != nil || string(reply) != "pong" {
			t.Fatalf("client read %q: %v\n%s", reply, err, inst.Output())
		}
		select {
		case r := <-results:
			if r.err != nil {
				t.Fatalf("backend: %v", r.err)
			}
			return r
		case <-time.After(5 * time.Second):
			t.Fatalf("backend got nothing\n%s", inst.Output())
		}
		return got{}
	}
	types := func(h proxyproto.Header) string {
		var s []string
		for tlv := range h.TLVs.All() {
			s = append(s, tlv.Type.String())
		}
		return strings.Join(s, ",")
	}

	t.Run("plain", func(t *testing.T) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", plainPort))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r := roundTrip(t, c)
		client := netip.MustParseAddrPort(c.LocalAddr().String())
		if r.h.Version != 2 || r.h.Command != proxyproto.Proxy || r.h.Source != client {
			t.Errorf("header %v; want v2 PROXY from %v", r.h, client)
		}
		if !strings.HasSuffix(r.msg, client.String()) {
			t.Errorf("backend saw %q; want RemoteAddr %v", r.msg, client)
		}
		if _, ok := r.h.TLVs.CRC32C(); !ok {
			t.Errorf("no CRC32C TLV in %v", types(r.h))
		}
		if id, ok := r.h.TLVs.UniqueID(); !ok || !strings.HasPrefix(string(id), "7F000001:") {
			t.Errorf("UNIQUE_ID = %q, %v", id, ok)
		}
		if got := types(r.h); got != "CRC32C,UNIQUE_ID" {
			t.Errorf("TLVs %s; want CRC32C,UNIQUE_ID (no SNI, no AUTHORITY)", got)
		}
	})

	t.Run("tls", func(t *testing.T) {
		c, err := tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", tlsPort), &tls.Config{
			ServerName: "proxy.example.test", NextProtos: []string{"h2"}, InsecureSkipVerify: true})
		if err != nil {
			t.Fatalf("tls dial: %v\n%s", err, inst.Output())
		}
		defer c.Close()
		r := roundTrip(t, c)
		client := netip.MustParseAddrPort(c.LocalAddr().String())
		if r.h.Source != client {
			t.Errorf("source %v; want %v", r.h.Source, client)
		}
		if a, _ := r.h.TLVs.Authority(); string(a) != "proxy.example.test" {
			t.Errorf("AUTHORITY = %q; want proxy.example.test", a)
		}
		if a, _ := r.h.TLVs.ALPN(); string(a) != "h2" {
			t.Errorf("ALPN = %q; want h2", a)
		}
		ssl, ok := r.h.TLVs.SSL()
		if !ok || !ssl.IsTLS() {
			t.Fatalf("SSL TLV %+v, %v", ssl, ok)
		}
		if v, _ := ssl.Version(); string(v) != "TLSv1.3" {
			t.Errorf("SSL_VERSION = %q", v)
		}
		if c, ok := ssl.Cipher(); !ok || len(c) == 0 {
			t.Errorf("SSL_CIPHER = %q, %v", c, ok)
		}
		if r.h.ClientCertVerified() {
			t.Errorf("ClientCertVerified() = true without a client certificate (verify=%d)", ssl.Verify)
		}
		// HAProxy's TLV order, which TLVOptions reproduces.
		if got, want := types(r.h), "CRC32C,ALPN,AUTHORITY,UNIQUE_ID,SSL"; got != want {
			t.Errorf("TLV order %s; want %s", got, want)
		}
	})
}

package tlstest

import (
	"bytes"
	"crypto/tls"
	"testing"
)

func TestClientHello(t *testing.T) {
	b := ClientHello(t, &tls.Config{ServerName: "t.example", NextProtos: []string{"h2"}})
	if len(b) < 100 || b[0] != 0x16 || b[5] != 1 {
		t.Fatalf("ClientHello = %x...; want a handshake record with a ClientHello", b[:9])
	}
	if !bytes.Contains(b, []byte("t.example")) {
		t.Errorf("hello lacks the server name")
	}
	msg := Message(b)
	if msg == nil || len(msg) != len(b)-5 {
		t.Fatalf("Message: %d bytes; want %d", len(msg), len(b)-5)
	}
	for _, size := range []int{1, 7, 16384} {
		if got := Message(Records(msg, size)); !bytes.Equal(got, msg) {
			t.Errorf("Message(Records(msg, %d)) differs", size)
		}
	}
	if Message(b[:len(b)-1]) != nil {
		t.Errorf("Message of a truncated hello is not nil")
	}
	if nosni := ClientHello(t, nil); bytes.Contains(nosni, []byte{0, 0, 0}) && len(nosni) < 100 {
		t.Errorf("ClientHello(nil) too short")
	}
}

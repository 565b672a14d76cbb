// Package tlstest produces real TLS ClientHellos from crypto/tls for tests.
//
// [ClientHello] runs a crypto/tls client on one end of a [net.Pipe] and returns
// the exact bytes it wrote before it waits for the server: the record(s)
// carrying its ClientHello. [Records] re-fragments a handshake message into
// records of a chosen size, the way some clients and middleboxes do.
package tlstest

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// ClientHello returns the bytes a crypto/tls client configured with cfg sends
// first: the TLS records of its ClientHello, record headers included. A nil
// cfg means an empty one. When cfg has no ServerName, InsecureSkipVerify is
// set on a copy so that crypto/tls agrees to start (it then sends no
// server_name). It fails t on error and leaves no goroutine behind.
func ClientHello(t testing.TB, cfg *tls.Config) []byte {
	t.Helper()
	b, err := clientHello(cfg)
	if err != nil {
		t.Fatalf("tlstest.ClientHello: %v", err)
	}
	return b
}

func clientHello(cfg *tls.Config) ([]byte, error) {
	if cfg == nil {
		cfg = &tls.Config{}
	}
	cfg = cfg.Clone()
	if cfg.ServerName == "" {
		cfg.InsecureSkipVerify = true
	}
	client, server := net.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- tls.Client(client, cfg).Handshake()
	}()
	defer func() {
		client.Close()
		server.Close()
		<-done
	}()
	if err := server.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return nil, err
	}
	var out []byte
	got, total := 0, -1
	for total < 0 || got < total {
		var hdr [5]byte
		if _, err := io.ReadFull(server, hdr[:]); err != nil {
			return nil, err
		}
		if hdr[0] != 0x16 {
			return nil, errors.New("first record is not a handshake record")
		}
		n := int(hdr[3])<<8 | int(hdr[4])
		rec := make([]byte, n)
		if _, err := io.ReadFull(server, rec); err != nil {
			return nil, err
		}
		out = append(append(out, hdr[:]...), rec...)
		if total < 0 {
			if n < 4 {
				return nil, errors.New("first record shorter than a handshake header")
			}
			total = 4 + (int(rec[1])<<16 | int(rec[2])<<8 | int(rec[3]))
		}
		got += n
	}
	return out, nil
}

// Records splits the handshake message msg into handshake records (type 22,
// version 0x0301) of at most size bytes each and returns them concatenated.
// size must be between 1 and 16384.
func Records(msg []byte, size int) []byte {
	if size < 1 || size > 1<<14 {
		panic("tlstest.Records: size out of range")
	}
	var out []byte
	for len(msg) > 0 {
		n := min(size, len(msg))
		out = append(out, 0x16, 3, 1, byte(n>>8), byte(n))
		out = append(out, msg[:n]...)
		msg = msg[n:]
	}
	return out
}

// Message returns the handshake message carried by the records in b (the
// concatenated record bodies), ignoring anything after the message. It
// returns nil when b does not hold a complete handshake message.
func Message(b []byte) []byte {
	var msg []byte
	for len(b) >= 5 {
		n := int(b[3])<<8 | int(b[4])
		if len(b) < 5+n {
			return nil
		}
		msg = append(msg, b[5:5+n]...)
		b = b[5+n:]
		if len(msg) >= 4 {
			total := 4 + (int(msg[1])<<16 | int(msg[2])<<8 | int(msg[3]))
			if len(msg) >= total {
				return msg[:total]
			}
		}
	}
	return nil
}

package sni_test

import (
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/drawbridge-go/drawbridge/sni"
)

func ExamplePeek() {
	hello, _ := os.ReadFile("testdata/clienthello/go_alpn.bin")
	client, server := net.Pipe()
	go func() {
		client.Write(hello)
		client.Write([]byte("...rest of the TLS stream"))
		client.Close()
	}()

	h, conn, err := sni.Peek(server, sni.PeekOptions{Timeout: 5 * time.Second})
	if err != nil {
		fmt.Println("refused:", sni.KindOf(err))
		conn.Close()
		return
	}
	fmt.Println("route to", h.ServerName(), "offering", h.ALPN().Strings())

	// conn replays the hello, then reads on: a backend gets the whole stream.
	all, _ := io.ReadAll(conn)
	fmt.Println(len(all) == len(hello)+len("...rest of the TLS stream"))
	// Output:
	// route to go.example.com offering [h2 http/1.1]
	// true
}

package proxyproto_test

import (
	"errors"
	"fmt"

	"github.com/drawbridge-go/drawbridge/proxyproto"
)

func ExampleDecode() {
	buf := []byte("PROXY TCP4 192.0.2.1 198.51.100.2 51234 443\r\nGET / HTTP/1.1\r\n")
	h, n, err := proxyproto.Decode(buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(h.Source, "->", h.Destination)
	fmt.Printf("%q\n", buf[n:])

	_, _, err = proxyproto.Decode(buf[:20])
	var pe *proxyproto.Error
	if errors.As(err, &pe) && errors.Is(err, proxyproto.ErrShort) {
		fmt.Println("short, need at least", pe.Need, "more")
	}
	_, _, err = proxyproto.Decode([]byte("GET / HTTP/1.1\r\n"))
	fmt.Println(proxyproto.KindOf(err))
	// Output:
	// 192.0.2.1:51234 -> 198.51.100.2:443
	// "GET / HTTP/1.1\r\n"
	// short, need at least 1 more
	// not-proxy
}

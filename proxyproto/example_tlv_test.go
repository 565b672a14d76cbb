package proxyproto_test

import (
	"fmt"
	"net/netip"

	"github.com/drawbridge-go/drawbridge/proxyproto"
)

func ExampleTLVs() {
	tlvs, _ := proxyproto.TLVOptions{
		CRC32C:    true,
		ALPN:      []byte("h2"),
		Authority: "example.com",
		SSL:       &proxyproto.SSLOptions{Client: proxyproto.ClientSSL, Version: "TLSv1.3"},
	}.Append(nil)
	wire, _ := proxyproto.Header{
		Version: 2, Command: proxyproto.Proxy, Transport: proxyproto.TCP4,
		Source:      netip.MustParseAddrPort("192.0.2.1:51234"),
		Destination: netip.MustParseAddrPort("198.51.100.2:443"),
		TLVs:        tlvs,
	}.AppendBinary(nil)

	h, _, err := proxyproto.Decode(wire) // the CRC32C is verified here
	if err != nil {
		fmt.Println(err)
		return
	}
	for tlv := range h.TLVs.All() {
		fmt.Println(tlv.Type, len(tlv.Value))
	}
	sni, _ := h.TLVs.Authority()
	ssl, _ := h.TLVs.SSL()
	version, _ := ssl.Version()
	fmt.Printf("%s %s verified-cert=%v\n", sni, version, h.ClientCertVerified())
	// Output:
	// CRC32C 4
	// ALPN 2
	// AUTHORITY 11
	// SSL 15
	// example.com TLSv1.3 verified-cert=false
}

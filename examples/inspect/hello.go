package main

import (
	"io"
	"strconv"

	"github.com/drawbridge-go/drawbridge/sni"
)

// helloJSON is the line printed for a file holding a valid ClientHello.
// Lists of 16-bit code points are written as 4-digit hex strings ("1301"),
// the form JA4's raw output and Wireshark use.
type helloJSON struct {
	File                string   `json:"file"`
	ServerName          *string  `json:"server_name"`  // as sent; null without server_name
	RoutingName         string   `json:"routing_name"` // lowercase, no trailing dot
	ALPN                []string `json:"alpn"`
	Version             string   `json:"version"` // highest non-GREASE supported version
	LegacyVersion       string   `json:"legacy_version"`
	Versions            []string `json:"versions"`
	CipherSuites        []string `json:"cipher_suites"`
	Extensions          []string `json:"extensions"`
	Groups              []string `json:"groups"`
	KeyShareGroups      []string `json:"key_share_groups"`
	SignatureAlgorithms []string `json:"signature_algorithms"`
	ECH                 bool     `json:"ech"`
	Len                 int      `json:"len"` // bytes of the input the hello occupied
	JA3                 string   `json:"ja3"`
	JA3String           string   `json:"ja3_string"`
	JA4                 string   `json:"ja4"`
}

// runHello prints one JSON object a line for each ClientHello file.
func runHello(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return eachFile("hello", "the TLS ClientHello", args, stdin, stdout, stderr, func(name string, b []byte) (any, error) {
		h, err := sni.Parse(b)
		if err != nil {
			return errorJSON{File: name, Error: sni.KindOf(err), Detail: err.Error()}, err
		}
		return describe(name, &h), nil
	})
}

func describe(file string, h *sni.Hello) helloJSON {
	out := helloJSON{
		File:                file,
		RoutingName:         h.ServerName(),
		ALPN:                h.ALPN().Strings(),
		Version:             hex16(h.Version()),
		LegacyVersion:       hex16(h.LegacyVersion()),
		Versions:            hexList(h.SupportedVersions().AppendTo(nil)),
		CipherSuites:        hexList(h.CipherSuites().AppendTo(nil)),
		Extensions:          hexList(h.Extensions().Types(nil)),
		Groups:              hexList(h.SupportedGroups().AppendTo(nil)),
		KeyShareGroups:      hexList(h.KeyShareGroups().AppendTo(nil)),
		SignatureAlgorithms: hexList(h.SignatureAlgorithms().AppendTo(nil)),
		ECH:                 h.HasECH(),
		Len:                 h.Len(),
		JA3:                 h.JA3(),
		JA3String:           string(h.AppendJA3String(nil)),
		JA4:                 h.JA4(),
	}
	if h.HasServerName() {
		s := string(h.RawServerName())
		out.ServerName = &s
	}
	if out.ALPN == nil {
		out.ALPN = []string{}
	}
	return out
}

func hex16(v uint16) string {
	s := strconv.FormatUint(uint64(v), 16)
	for len(s) < 4 {
		s = "0" + s
	}
	return s
}

func hexList(vs []uint16) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = hex16(v)
	}
	return out
}

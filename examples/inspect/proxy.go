package main

import (
	"encoding/hex"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/drawbridge-go/drawbridge/proxyproto"
)

// proxyJSON is the line printed for a file that starts with a valid PROXY
// header. Source and destination are "ip:port" for IP transports, the socket
// path for UNIX ones, and absent for LOCAL, UNKNOWN and UNSPEC headers.
type proxyJSON struct {
	File        string    `json:"file"`
	Version     int       `json:"version"`
	Command     string    `json:"command"`   // LOCAL or PROXY
	Transport   string    `json:"transport"` // TCP4, UDP6, UNIX_STREAM, UNSPEC...
	Source      string    `json:"source,omitempty"`
	Destination string    `json:"destination,omitempty"`
	HeaderLen   int       `json:"header_len"` // bytes of the file the header occupied
	TLVs        []tlvJSON `json:"tlvs"`
}

// tlvJSON is one TLV: its type name ("ALPN", "SSL", "0x99"), its value as
// text when it is printable UTF-8 (else hex), and for SSL the parsed fields.
// The cloud TLVs known to [proxyproto.TLVs] are decoded: AWS's VPC endpoint
// ID and Azure's private endpoint LinkID with their subtype, GCP's Private
// Service Connect ID; the numbers are written in decimal.
type tlvJSON struct {
	Type               string    `json:"type"`
	Subtype            *uint8    `json:"subtype,omitempty"`
	Value              *string   `json:"value,omitempty"`
	Hex                string    `json:"hex,omitempty"`
	Len                *int      `json:"len,omitempty"` // NOOP padding length
	Client             *uint8    `json:"client,omitempty"`
	Verify             *uint32   `json:"verify,omitempty"`
	ClientCertVerified *bool     `json:"client_cert_verified,omitempty"`
	Sub                []tlvJSON `json:"sub,omitempty"`
}

// runProxy prints one JSON object a line for each PROXY header file.
func runProxy(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return eachFile("proxy", "the PROXY protocol header (v1 or v2)", args, stdin, stdout, stderr, func(name string, b []byte) (any, error) {
		h, n, err := proxyproto.Decode(b)
		if err != nil {
			return errorJSON{File: name, Error: proxyproto.KindOf(err), Detail: err.Error()}, err
		}
		return proxyLine(name, h, n), nil
	})
}

func proxyLine(name string, h proxyproto.Header, n int) proxyJSON {
	out := proxyJSON{File: name, Version: int(h.Version), Command: h.Command.String(),
		Transport: h.Transport.String(), HeaderLen: n, TLVs: []tlvJSON{}}
	switch {
	case h.Command == proxyproto.Proxy && h.Transport.IsIP():
		out.Source, out.Destination = h.Source.String(), h.Destination.String()
	case h.Command == proxyproto.Proxy && h.Transport.IsUnix():
		out.Source, out.Destination = h.SourcePath, h.DestinationPath
	}
	for t := range h.TLVs.All() {
		out.TLVs = append(out.TLVs, tlvLine(t))
	}
	return out
}

func tlvLine(t proxyproto.TLV) tlvJSON {
	j := tlvJSON{Type: t.Type.String()}
	switch t.Type {
	case proxyproto.TypeNoop:
		n := len(t.Value)
		j.Len = &n
	case proxyproto.TypeCRC32C:
		v := "0x" + hex.EncodeToString(t.Value)
		j.Value = &v
	case proxyproto.TypeAWS, proxyproto.TypeAzure, proxyproto.TypeGCP:
		if !cloudTLV(&j, t) {
			j.Hex = hex.EncodeToString(t.Value)
		}
	case proxyproto.TypeSSL:
		s, ok := t.SSL()
		if !ok {
			j.Hex = hex.EncodeToString(t.Value)
			break
		}
		verified := s.ClientCertVerified()
		j.Client, j.Verify, j.ClientCertVerified = &s.Client, &s.Verify, &verified
		for st := range s.Sub.All() {
			j.Sub = append(j.Sub, tlvLine(st))
		}
	default:
		if printable(t.Value) {
			v := string(t.Value)
			j.Value = &v
		} else {
			j.Hex = hex.EncodeToString(t.Value)
		}
	}
	return j
}

// cloudTLV fills j from a cloud provider's TLV and reports whether t was
// one in the form the proxyproto helpers accept. AWS and Azure values start
// with a subtype.
func cloudTLV(j *tlvJSON, t proxyproto.TLV) bool {
	var v string
	sub := true
	if id, ok := t.AWSVPCEndpointID(); ok && printable(id) {
		v = string(id)
	} else if id, ok := t.AzurePrivateEndpointLinkID(); ok {
		v = strconv.FormatUint(uint64(id), 10)
	} else if id, ok := t.GCPPSCConnectionID(); ok {
		v, sub = strconv.FormatUint(id, 10), false
	} else {
		return false
	}
	if sub {
		j.Subtype = &t.Value[0]
	}
	j.Value = &v
	return true
}

func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

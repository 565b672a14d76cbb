package proxyproto

import (
	"encoding/binary"
	"iter"
)

// TLVType is the type byte of a v2 TLV or of an SSL sub-TLV (section 2.2).
type TLVType uint8

// Registered TLV types (section 2.2) and the cloud providers' custom ones.
const (
	TypeALPN      TLVType = 0x01 // application protocol (2.2.1)
	TypeAuthority TLVType = 0x02 // host name, the TLS SNI (2.2.2)
	TypeCRC32C    TLVType = 0x03 // CRC32C of the header (2.2.3)
	TypeNoop      TLVType = 0x04 // padding, ignored (2.2.4)
	TypeUniqueID  TLVType = 0x05 // opaque connection ID, at most 128 bytes (2.2.5)
	TypeSSL       TLVType = 0x20 // TLS details with sub-TLVs (2.2.6)
	TypeNetNS     TLVType = 0x30 // network namespace name (2.2.7)

	// SSL sub-TLVs, found inside the TypeSSL value (2.2.6).
	SubtypeSSLVersion    TLVType = 0x21 // "TLSv1.3"
	SubtypeSSLCN         TLVType = 0x22 // client certificate Common Name
	SubtypeSSLCipher     TLVType = 0x23 // "TLS_AES_256_GCM_SHA384"
	SubtypeSSLSigAlg     TLVType = 0x24 // frontend certificate signature algorithm
	SubtypeSSLKeyAlg     TLVType = 0x25 // frontend certificate key algorithm
	SubtypeSSLGroup      TLVType = 0x26 // key exchange group, "X25519"
	SubtypeSSLSigScheme  TLVType = 0x27 // signature scheme, "rsa_pss_rsae_sha256"
	SubtypeSSLClientCert TLVType = 0x28 // client certificate, ASN.1 DER

	// Custom types in the application range 0xE0-0xEF (2.2.8).
	TypeGCP   TLVType = 0xE0 // Google Cloud PSC connection ID, 8 bytes big-endian
	TypeAWS   TLVType = 0xEA // AWS, first value byte is a subtype
	TypeAzure TLVType = 0xEE // Azure, first value byte is a subtype

	// SubtypeAWSVPCEndpointID is the AWS subtype carrying the VPC endpoint ID.
	SubtypeAWSVPCEndpointID = 0x01
	// SubtypeAzurePrivateEndpointLinkID is the Azure subtype carrying the
	// private endpoint LinkID, 4 bytes little-endian.
	SubtypeAzurePrivateEndpointLinkID = 0x01
)

// SSL client flags (section 2.2.6, the <client> field).
const (
	ClientSSL      = 0x01 // the client connected over SSL/TLS
	ClientCertConn = 0x02 // the client presented a certificate on this connection
	ClientCertSess = 0x04 // the client presented a certificate in this TLS session
)

// MaxUniqueIDLen is the largest UNIQUE_ID value the spec allows (2.2.5).
const MaxUniqueIDLen = 128

// String returns the spec name without its prefix ("ALPN", "SSL_VERSION",
// "AWS"...) or "0xNN" for other types.
func (t TLVType) String() string {
	switch t {
	case TypeALPN:
		return "ALPN"
	case TypeAuthority:
		return "AUTHORITY"
	case TypeCRC32C:
		return "CRC32C"
	case TypeNoop:
		return "NOOP"
	case TypeUniqueID:
		return "UNIQUE_ID"
	case TypeSSL:
		return "SSL"
	case TypeNetNS:
		return "NETNS"
	case SubtypeSSLVersion:
		return "SSL_VERSION"
	case SubtypeSSLCN:
		return "SSL_CN"
	case SubtypeSSLCipher:
		return "SSL_CIPHER"
	case SubtypeSSLSigAlg:
		return "SSL_SIG_ALG"
	case SubtypeSSLKeyAlg:
		return "SSL_KEY_ALG"
	case SubtypeSSLGroup:
		return "SSL_GROUP"
	case SubtypeSSLSigScheme:
		return "SSL_SIG_SCHEME"
	case SubtypeSSLClientCert:
		return "SSL_CLIENT_CERT"
	case TypeGCP:
		return "GCP"
	case TypeAWS:
		return "AWS"
	case TypeAzure:
		return "AZURE"
	}
	return "0x" + string([]byte{hexDigits[t>>4], hexDigits[t&0xf]})
}

// TLV is one type-length-value vector. Value aliases the header bytes.
type TLV struct {
	Type  TLVType
	Value []byte
}

// TLVs is the raw TLV area of a v2 header: a sequence of type (1 byte),
// length (2 bytes, big-endian) and value. A TLVs returned by [Decode] or
// [Read] is well-formed; its accessors return views into it, allocating
// nothing. The zero value is an empty list.
type TLVs []byte

// next splits off the first TLV; ok is false at the end or on a framing error.
func (t TLVs) next() (tlv TLV, rest TLVs, ok bool) {
	if len(t) < 3 {
		return TLV{}, nil, false
	}
	n := int(t[1])<<8 | int(t[2])
	if len(t) < 3+n {
		return TLV{}, nil, false
	}
	return TLV{Type: TLVType(t[0]), Value: t[3 : 3+n : 3+n]}, t[3+n:], true
}

// All returns the TLVs in wire order. It stops at the first framing error,
// which a decoded TLVs never has.
func (t TLVs) All() iter.Seq[TLV] {
	return func(yield func(TLV) bool) {
		for {
			tlv, rest, ok := t.next()
			if !ok || !yield(tlv) {
				return
			}
			t = rest
		}
	}
}

// Len returns the number of TLVs.
func (t TLVs) Len() int {
	n := 0
	for {
		_, rest, ok := t.next()
		if !ok {
			return n
		}
		n++
		t = rest
	}
}

// Get returns the value of the first TLV of type typ.
func (t TLVs) Get(typ TLVType) ([]byte, bool) {
	for {
		tlv, rest, ok := t.next()
		if !ok {
			return nil, false
		}
		if tlv.Type == typ {
			return tlv.Value, true
		}
		t = rest
	}
}

// ALPN returns the PP2_TYPE_ALPN value, e.g. "h2".
func (t TLVs) ALPN() ([]byte, bool) { return t.Get(TypeALPN) }

// Authority returns the PP2_TYPE_AUTHORITY value: the host name the client
// asked for (the TLS SNI), UTF-8.
func (t TLVs) Authority() ([]byte, bool) { return t.Get(TypeAuthority) }

// UniqueID returns the PP2_TYPE_UNIQUE_ID value.
func (t TLVs) UniqueID() ([]byte, bool) { return t.Get(TypeUniqueID) }

// NetNS returns the PP2_TYPE_NETNS value, the namespace name.
func (t TLVs) NetNS() ([]byte, bool) { return t.Get(TypeNetNS) }

// CRC32C returns the checksum carried by the PP2_TYPE_CRC32C TLV. A decoded
// header's checksum has been verified.
func (t TLVs) CRC32C() (uint32, bool) {
	v, ok := t.Get(TypeCRC32C)
	if !ok || len(v) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(v), true
}

// SSL returns the PP2_TYPE_SSL TLV.
func (t TLVs) SSL() (SSL, bool) {
	v, ok := t.Get(TypeSSL)
	if !ok {
		return SSL{}, false
	}
	return TLV{Type: TypeSSL, Value: v}.SSL()
}

// SSL parses t as a PP2_TYPE_SSL TLV; ok is false for another type or a
// value shorter than 5 bytes.
func (t TLV) SSL() (s SSL, ok bool) {
	v := t.Value
	if t.Type != TypeSSL || len(v) < 5 {
		return SSL{}, false
	}
	return SSL{Client: v[0], Verify: binary.BigEndian.Uint32(v[1:5]), Sub: TLVs(v[5:])}, true
}

// AWSVPCEndpointID returns the AWS VPC endpoint ID ("vpce-..."): a TLV of
// type 0xEA whose first value byte is [SubtypeAWSVPCEndpointID].
func (t TLVs) AWSVPCEndpointID() ([]byte, bool) {
	for tlv := range t.All() {
		if id, ok := tlv.AWSVPCEndpointID(); ok {
			return id, true
		}
	}
	return nil, false
}

// AWSVPCEndpointID returns the AWS VPC endpoint ID when t is a TLV of type
// 0xEA whose first value byte is [SubtypeAWSVPCEndpointID].
func (t TLV) AWSVPCEndpointID() ([]byte, bool) {
	if t.Type == TypeAWS && len(t.Value) > 0 && t.Value[0] == SubtypeAWSVPCEndpointID {
		return t.Value[1:], true
	}
	return nil, false
}

// AzurePrivateEndpointLinkID returns the Azure private endpoint LinkID: a
// TLV of type 0xEE, 5 bytes long, subtype [SubtypeAzurePrivateEndpointLinkID]
// then a little-endian uint32.
func (t TLVs) AzurePrivateEndpointLinkID() (uint32, bool) {
	for tlv := range t.All() {
		if id, ok := tlv.AzurePrivateEndpointLinkID(); ok {
			return id, true
		}
	}
	return 0, false
}

// AzurePrivateEndpointLinkID returns the Azure private endpoint LinkID when
// t is a TLV of type 0xEE, 5 bytes long, subtype
// [SubtypeAzurePrivateEndpointLinkID] then a little-endian uint32.
func (t TLV) AzurePrivateEndpointLinkID() (uint32, bool) {
	if t.Type == TypeAzure && len(t.Value) == 5 && t.Value[0] == SubtypeAzurePrivateEndpointLinkID {
		return binary.LittleEndian.Uint32(t.Value[1:]), true
	}
	return 0, false
}

// GCPPSCConnectionID returns the Google Cloud Private Service Connect
// connection ID: a TLV of type 0xE0 holding a big-endian uint64.
func (t TLVs) GCPPSCConnectionID() (uint64, bool) {
	for tlv := range t.All() {
		if id, ok := tlv.GCPPSCConnectionID(); ok {
			return id, true
		}
	}
	return 0, false
}

// GCPPSCConnectionID returns the Google Cloud Private Service Connect
// connection ID when t is a TLV of type 0xE0 holding a big-endian uint64.
func (t TLV) GCPPSCConnectionID() (uint64, bool) {
	if t.Type == TypeGCP && len(t.Value) == 8 {
		return binary.BigEndian.Uint64(t.Value), true
	}
	return 0, false
}

// SSL is the value of a PP2_TYPE_SSL TLV (section 2.2.6).
type SSL struct {
	// Client is a set of [ClientSSL], [ClientCertConn], [ClientCertSess].
	Client uint8
	// Verify is zero when the client certificate was verified. HAProxy also
	// sends zero when no certificate was presented: use
	// [SSL.ClientCertVerified], never Verify alone.
	Verify uint32
	// Sub holds the sub-TLVs (SSL_VERSION, SSL_CN...).
	Sub TLVs
}

// ClientCertVerified reports whether a client certificate was presented (on
// this connection or earlier in the TLS session) and verified:
// client&(CERT_CONN|CERT_SESS) != 0 && verify == 0.
func (s SSL) ClientCertVerified() bool {
	return s.Client&(ClientCertConn|ClientCertSess) != 0 && s.Verify == 0
}

// IsTLS reports whether the client connected over SSL/TLS ([ClientSSL]).
func (s SSL) IsTLS() bool { return s.Client&ClientSSL != 0 }

// Version returns the SSL_VERSION sub-TLV, e.g. "TLSv1.3".
func (s SSL) Version() ([]byte, bool) { return s.Sub.Get(SubtypeSSLVersion) }

// CN returns the SSL_CN sub-TLV: the client certificate's Common Name.
func (s SSL) CN() ([]byte, bool) { return s.Sub.Get(SubtypeSSLCN) }

// Cipher returns the SSL_CIPHER sub-TLV, e.g. "ECDHE-RSA-AES128-GCM-SHA256".
func (s SSL) Cipher() ([]byte, bool) { return s.Sub.Get(SubtypeSSLCipher) }

// SigAlg returns the SSL_SIG_ALG sub-TLV, e.g. "RSA-SHA256".
func (s SSL) SigAlg() ([]byte, bool) { return s.Sub.Get(SubtypeSSLSigAlg) }

// KeyAlg returns the SSL_KEY_ALG sub-TLV, e.g. "RSA2048".
func (s SSL) KeyAlg() ([]byte, bool) { return s.Sub.Get(SubtypeSSLKeyAlg) }

// Group returns the SSL_GROUP sub-TLV, e.g. "X25519".
func (s SSL) Group() ([]byte, bool) { return s.Sub.Get(SubtypeSSLGroup) }

// SigScheme returns the SSL_SIG_SCHEME sub-TLV, e.g. "rsa_pss_rsae_sha256".
func (s SSL) SigScheme() ([]byte, bool) { return s.Sub.Get(SubtypeSSLSigScheme) }

// ClientCert returns the SSL_CLIENT_CERT sub-TLV: the client certificate in
// ASN.1 DER.
func (s SSL) ClientCert() ([]byte, bool) { return s.Sub.Get(SubtypeSSLClientCert) }

// checkTLVs validates the TLV area t, which starts at offset base of the
// header. It returns the offset of the CRC32C value within t (-1 if none),
// or ok false after describing the failure in *p.
func checkTLVs(t []byte, base int, p *problem) (crcAt int, ok bool) {
	crcAt = -1
	i := 0
	for i < len(t) {
		if len(t)-i < 3 {
			return -1, p.badTLV(pTLV, base+i, TLVType(t[i]), "truncated TLV header")
		}
		typ := TLVType(t[i])
		n := int(t[i+1])<<8 | int(t[i+2])
		v := i + 3
		if n > len(t)-v {
			return -1, p.badTLV(pTLV, base+i, typ, "TLV length past the end of the header")
		}
		switch typ {
		case TypeCRC32C:
			if n != 4 {
				return -1, p.badTLV(pTLV, base+i, typ, "CRC32C value is not 4 bytes")
			}
			if crcAt >= 0 {
				return -1, p.badTLV(pTLV, base+i, typ, "second CRC32C TLV")
			}
			crcAt = v
		case TypeUniqueID:
			if n > MaxUniqueIDLen {
				return -1, p.badTLV(pTLV, base+i, typ, "UNIQUE_ID longer than 128 bytes")
			}
		case TypeSSL:
			if n < 5 {
				return -1, p.badTLV(pTLV, base+i, typ, "SSL value shorter than 5 bytes")
			}
			sub := t[v+5 : v+n]
			for j := 0; j < len(sub); {
				if len(sub)-j < 3 {
					return -1, p.badTLV(pTLV, base+v+5+j, TLVType(sub[j]), "truncated SSL sub-TLV header")
				}
				m := int(sub[j+1])<<8 | int(sub[j+2])
				if m > len(sub)-j-3 {
					return -1, p.badTLV(pTLV, base+v+5+j, TLVType(sub[j]), "SSL sub-TLV length past the end of the SSL TLV")
				}
				j += 3 + m
			}
		}
		i = v + n
	}
	return crcAt, true
}

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/proxyproto"
)

const proxyTestdata = "../../proxyproto/testdata"

// TestRunProxyVectors runs every vector of proxyproto's index.tsv through
// the command: one JSON line each, with the expected verdict and length.
func TestRunProxyVectors(t *testing.T) {
	index, err := os.ReadFile(filepath.Join(proxyTestdata, "index.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		expect string
		n      int
	}
	rows := map[string]row{}
	var files []string
	for i, line := range strings.Split(strings.TrimSpace(string(index)), "\n") {
		if i == 0 {
			continue
		}
		f := strings.Split(line, "\t")
		n, _ := strconv.Atoi(f[4])
		p := filepath.Join(proxyTestdata, f[0])
		rows[p] = row{f[3], n}
		files = append(files, p)
	}
	var out, errOut bytes.Buffer
	if code := runProxy(files, nil, &out, &errOut); code != 1 {
		t.Errorf("runProxy(all vectors) = %d; want 1 (some fail)", code)
	}
	sc := bufio.NewScanner(&out)
	lines := 0
	for sc.Scan() {
		lines++
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		file, _ := m["file"].(string)
		r, ok := rows[file]
		if !ok {
			t.Fatalf("unknown file %q", file)
		}
		_, failed := m["error"]
		switch {
		case r.expect == "ok" && failed:
			t.Errorf("%s: %v; want ok", file, m)
		case r.expect == "error" && !failed:
			t.Errorf("%s: %v; want an error", file, m)
		case !failed && int(m["header_len"].(float64)) != r.n:
			t.Errorf("%s: header_len %v; want %d", file, m["header_len"], r.n)
		case failed && m["error"] == "":
			t.Errorf("%s: empty error kind", file)
		}
	}
	if lines != len(files) {
		t.Errorf("%d lines for %d files", lines, len(files))
	}
}

func TestRunProxyGolden(t *testing.T) {
	var out bytes.Buffer
	code := runProxy([]string{filepath.Join(proxyTestdata, "haproxy-tls-v2-ssl-cn.bin"), filepath.Join(proxyTestdata, "v2-crc32c-bad.bin")}, nil, &out, &out)
	want := `{"file":"../../proxyproto/testdata/haproxy-tls-v2-ssl-cn.bin","version":2,"command":"PROXY","transport":"TCP4","source":"127.0.0.1:41082","destination":"127.0.0.1:21026","header_len":79,"tlvs":[{"type":"ALPN","value":"http/1.1"},{"type":"SSL","client":7,"verify":0,"client_cert_verified":true,"sub":[{"type":"SSL_VERSION","value":"TLSv1.3"},{"type":"SSL_CN","value":"client.example.test"}]}]}
{"file":"../../proxyproto/testdata/v2-crc32c-bad.bin","error":"bad-crc","detail":"proxyproto: bad-crc: checksum does not match the header in TLV CRC32C (offset 28)"}
`
	if code != 1 || out.String() != want {
		t.Errorf("runProxy = %d\n%s\nwant 1\n%s", code, out.String(), want)
	}
	out.Reset()
	if code := runProxy([]string{filepath.Join(proxyTestdata, "haproxy-v1-tcp4.bin")}, nil, &out, &out); code != 0 {
		t.Errorf("runProxy(valid file) = %d; want 0", code)
	}
	if code := runProxy(nil, nil, &out, &out); code != 2 {
		t.Errorf("runProxy(no files) = %d; want 2", code)
	}
	if code := runProxy([]string{"does-not-exist"}, nil, &out, &out); code != 1 {
		t.Errorf("runProxy(missing file) = %d; want 1", code)
	}
}

// TestRunProxyCloudTLVs: the AWS, Azure and GCP TLVs are decoded; one of a
// subtype or length the helpers do not know stays hex.
func TestRunProxyCloudTLVs(t *testing.T) {
	var tlvs proxyproto.TLVs
	for _, tlv := range []proxyproto.TLV{
		{Type: proxyproto.TypeAWS, Value: append([]byte{proxyproto.SubtypeAWSVPCEndpointID}, "vpce-08d2bf15fac5001c9"...)},
		{Type: proxyproto.TypeAzure, Value: []byte{proxyproto.SubtypeAzurePrivateEndpointLinkID, 0x78, 0x56, 0x34, 0x12}},
		{Type: proxyproto.TypeGCP, Value: []byte{0, 0, 0, 0, 0, 0, 0x01, 0x00}},
		{Type: proxyproto.TypeAWS, Value: []byte{0x02, 0xff}},
		{Type: proxyproto.TypeGCP, Value: []byte{1, 2, 3}},
	} {
		var err error
		if tlvs, err = proxyproto.AppendTLV(tlvs, tlv.Type, tlv.Value); err != nil {
			t.Fatal(err)
		}
	}
	h := proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Transport: proxyproto.TCP4,
		Source: netip.MustParseAddrPort("192.0.2.1:40000"), Destination: netip.MustParseAddrPort("198.51.100.2:443"), TLVs: tlvs}
	b, err := h.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "cloud.bin")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if code := runProxy([]string{file}, nil, &out, &out); code != 0 {
		t.Fatalf("runProxy = %d: %s", code, out.String())
	}
	want := `"tlvs":[{"type":"AWS","subtype":1,"value":"vpce-08d2bf15fac5001c9"},{"type":"AZURE","subtype":1,"value":"305419896"},` +
		`{"type":"GCP","value":"256"},{"type":"AWS","hex":"02ff"},{"type":"GCP","hex":"010203"}]}` + "\n"
	if !strings.HasSuffix(out.String(), want) {
		t.Errorf("runProxy printed\n%s\nwant it to end with\n%s", out.String(), want)
	}
}

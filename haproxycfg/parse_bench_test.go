package haproxycfg

import (
	"fmt"
	"strings"
	"testing"
)

// bigEdge returns a configuration routing hosts SNI names, through a map
// file (returned too) or through one use_backend line a host.
func bigEdge(hosts int, inline bool) (cfg, hostMap []byte) {
	var b, m strings.Builder
	b.WriteString("global\n    log stdout format raw local0\n\ndefaults\n    mode tcp\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n\n")
	b.WriteString("frontend fe_tls\n    bind *:443\n    tcp-request inspect-delay 5s\n    tcp-request content accept if { req.ssl_hello_type 1 }\n")
	if !inline {
		b.WriteString("    use_backend %[req.ssl_sni,lower,map_str(/etc/haproxy/hosts.map)]\n")
	}
	for i := range hosts {
		be := fmt.Sprintf("be_%d", i%16)
		if inline {
			fmt.Fprintf(&b, "    use_backend %s if { req.ssl_sni -i host%d.example.com }\n", be, i)
		}
		fmt.Fprintf(&m, "host%d.example.com %s\n", i, be)
	}
	b.WriteString("    default_backend be_0\n")
	for i := range 16 {
		fmt.Fprintf(&b, "\nbackend be_%d\n    server s1 10.0.0.%d:443 check send-proxy-v2\n", i, i+1)
	}
	return []byte(b.String()), []byte(m.String())
}

// BenchmarkParse reads an edge routing 20,000 hosts: with a map file (the
// configuration and the map), and with one use_backend line a host.
func BenchmarkParse(b *testing.B) {
	cfg, hostMap := bigEdge(20000, false)
	b.Run("map", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(cfg) + len(hostMap)))
		for b.Loop() {
			if _, err := Parse("haproxy.cfg", cfg); err != nil {
				b.Fatal(err)
			}
			m, err := ParseMap("hosts.map", hostMap)
			if err != nil || len(m.Entries) != 20000 {
				b.Fatal(err)
			}
		}
	})
	inline, _ := bigEdge(20000, true)
	b.Run("inline", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(inline)))
		for b.Loop() {
			c, err := Parse("haproxy.cfg", inline)
			if err != nil || len(c.Proxies[0].UseBackends) != 20000 {
				b.Fatal(err)
			}
		}
	})
}

package haproxycfg_test

import (
	"fmt"

	"github.com/drawbridge-go/drawbridge/haproxycfg"
)

// Parse reads an existing haproxy.cfg into typed values; what the model
// does not express stays as verbatim lines, so the file writes back
// equivalent.
func ExampleParse() {
	text := `
frontend fe_tls
    bind *:443
    mode tcp
    tcp-request inspect-delay 5s
    tcp-request content accept if { req.ssl_hello_type 1 }
    use_backend be_kube if { req.ssl_sni -m end .kube.example.com }
    default_backend be_local
    stick-table type ip size 1m   # not in the model: kept verbatim

backend be_kube
    mode tcp
    server kube1 10.0.0.10:443 check send-proxy-v2

backend be_local
    mode tcp
    server local abns@local send-proxy-v2-ssl-cn
`
	cfg, err := haproxycfg.Parse("haproxy.cfg", []byte(text))
	if err != nil {
		fmt.Println(err)
		return
	}
	fe := cfg.Proxy("fe_tls")
	for _, u := range fe.UseBackends {
		m := u.Cond.Terms[0].Anon
		fmt.Printf("line %d: %s if %s -m %s %s\n", u.Line, u.Backend, m.Sample.Fetch, m.Method, m.Patterns[0])
	}
	for _, v := range fe.Verbatim {
		fmt.Printf("line %d kept: %s\n", v.Line, v.Text)
	}
	s := cfg.Proxy("be_kube").Servers[0]
	fmt.Println(s.Name, s.Address, "send-proxy-v2:", s.SendProxyV2)

	_, err = haproxycfg.Parse("bad.cfg", []byte("frontend fe\n    bind \"*:80\n"))
	fmt.Println(err)
	// Output:
	// line 7: be_kube if req.ssl_sni -m end .kube.example.com
	// line 9 kept: stick-table type ip size 1m
	// kube1 10.0.0.10:443 send-proxy-v2: true
	// haproxycfg: bad.cfg:2:10: unmatched quote
}

// ParseMap reads a map file as HAProxy loads it, in file order.
func ExampleParseMap() {
	m, err := haproxycfg.ParseMap("/etc/haproxy/hosts.map", []byte("# host backend\napi.example.com be_api\nWWW.example.com be_www\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range m.Entries {
		fmt.Println(m.Name, e.Key, e.Value)
	}
	// Uppercase keys never match a lowercased lookup: Validate says so.
	fmt.Println(m.Validate())
	// Output:
	// hosts.map api.example.com be_api
	// hosts.map WWW.example.com be_www
	// haproxycfg: line 2 (map hosts.map): key WWW.example.com: uppercase letter in key: lookups are lowercased
}

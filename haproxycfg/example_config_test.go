package haproxycfg_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/drawbridge-go/drawbridge/haproxycfg"
)

// Build a configuration from typed values; the writer quotes each value for
// its context, so a hostile header value stays one literal word.
func ExampleConfig_AppendText() {
	cfg := &haproxycfg.Config{
		Defaults: []*haproxycfg.Defaults{{Settings: haproxycfg.Settings{
			Mode:     haproxycfg.ModeHTTP,
			Timeouts: haproxycfg.Timeouts{Connect: 5 * time.Second, Client: 30 * time.Second, Server: 30 * time.Second},
		}}},
		Proxies: []*haproxycfg.Proxy{
			{
				Kind:  haproxycfg.ProxyFrontend,
				Name:  "web",
				Binds: []haproxycfg.Bind{{Address: "*:80"}},
				ACLs: []haproxycfg.ACL{{Name: "odd", Match: haproxycfg.Match{
					Sample: haproxycfg.Sample{Fetch: "path"}, Method: haproxycfg.MatchBeg, Patterns: []string{"-i", "/a b"}}}},
				HTTPRequest: []haproxycfg.HTTPRule{{
					Action: haproxycfg.HTTPSetHeader, Name: "X-Note",
					Value: haproxycfg.Text(`100% "$HOME" # not a comment`),
				}},
				UseBackends:    []haproxycfg.UseBackend{{Backend: "app", Cond: &haproxycfg.Cond{Terms: []haproxycfg.Term{{ACL: "odd"}}}}},
				DefaultBackend: "app",
			},
			{
				Kind: haproxycfg.ProxyBackend, Name: "app",
				Servers: []haproxycfg.Server{{Name: "s1", Address: "10.0.0.1:8080",
					ServerOptions: haproxycfg.ServerOptions{Check: true, MaxConn: 100}}},
			},
		},
	}
	b, err := cfg.AppendText(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(b))
	// Output:
	// defaults
	//     mode http
	//     timeout connect 5s
	//     timeout client 30s
	//     timeout server 30s
	//
	// frontend web
	//     bind *:80
	//     acl odd path -m beg -- -i "/a b"
	//     http-request set-header X-Note "100%% \"\$HOME\" # not a comment"
	//     use_backend app if odd
	//     default_backend app
	//
	// backend app
	//     server s1 10.0.0.1:8080 maxconn 100 check
}

// Validate reports what cannot be written faithfully, with the line.
func ExampleConfig_Validate() {
	cfg := &haproxycfg.Config{Proxies: []*haproxycfg.Proxy{{
		Kind: haproxycfg.ProxyBackend, Name: "app",
		Servers: []haproxycfg.Server{{Name: "s1\nserver evil", Address: "10.0.0.1:80"}},
	}}}
	err := cfg.Validate()
	var e *haproxycfg.Error
	fmt.Println(errors.As(err, &e), e.Line, e.Section)
	fmt.Println(err)
	// Output:
	// true 2 backend app
	// haproxycfg: line 2 (backend app): server name: "s1\nserver evil" is not a valid name: use letters, digits and _ . : -
}

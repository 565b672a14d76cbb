package route_test

import (
	"fmt"
	"strings"

	"github.com/drawbridge-go/drawbridge/route"
)

// Load a route file, validate it and write it back.
func ExampleLoad() {
	const file = `
name: web
edge: {}
listeners:
- {name: http, port: 80, protocol: HTTP, redirectHTTPS: true}
routes:
- name: acme
  listener: http
  hosts: ["*"]
  pathPrefix: /.well-known/acme-challenge/
  backend: acme
backends:
- name: acme
  servers: [{address: "10.0.0.11:8080"}]
`
	c, err := route.Load(strings.NewReader(file))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := c.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	out, _ := route.Marshal(c)
	fmt.Print(string(out))
	// Output:
	// backends:
	// - name: acme
	//   servers:
	//   - address: 10.0.0.11:8080
	// edge: {}
	// listeners:
	// - name: http
	//   port: 80
	//   protocol: HTTP
	//   redirectHTTPS: true
	// name: web
	// routes:
	// - backend: acme
	//   hosts:
	//   - '*'
	//   listener: http
	//   name: acme
	//   pathPrefix: /.well-known/acme-challenge/
}

// Unknown fields are errors with their line.
func ExampleLoad_unknownField() {
	_, err := route.Load(strings.NewReader("name: web\nlisteners:\n- name: http\n  prot: HTTP\n"))
	fmt.Println(err)
	// Output:
	// route: line 4: prot: unknown field
}

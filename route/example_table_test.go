package route_test

import (
	"fmt"

	"github.com/drawbridge-go/drawbridge/route"
)

// Match server names at run time, as a custom SNI proxy does for every
// connection.
func ExampleTable_Match() {
	t, err := route.NewTable([]route.Route{
		{Name: "api", Hosts: []string{"api.example.com"}, Backend: "api"},
		{Name: "tenants", Hosts: []string{"*.example.com"}, Backend: "tenants"},
		{Name: "eu", Hosts: []string{"*.eu.example.com"}, Backend: "eu"},
		{Name: "fallback", Hosts: []string{"*"}, Backend: "local"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"API.Example.com.", "shop.example.com", "shop.eu.example.com", "example.org"} {
		fmt.Printf("%-20s -> %s\n", name, t.Match(name).Backend)
	}
	// Output:
	// API.Example.com.     -> api
	// shop.example.com     -> tenants
	// shop.eu.example.com  -> eu
	// example.org          -> local
}

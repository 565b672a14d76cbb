// Command inspect decodes what a peer sent first on a connection and prints it as
// JSON, one object a line per file:
//
//	go run ./examples/inspect hello FILE...   # TLS ClientHello (package sni)
//	go run ./examples/inspect proxy FILE...   # PROXY protocol header (package proxyproto)
//
// A file that fails prints {"file":…,"error":"<kind>","detail":…} and the command
// exits with status 1.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a subcommand and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) < 1 {
		fmt.Fprintln(stderr, "usage: inspect hello|proxy FILE...")
		return 2
	}
	switch args[0] {
	case "hello":
		return runHello(args[1:], stdout, stderr)
	case "proxy":
		return runProxy(args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "inspect: unknown subcommand %q (want hello or proxy)\n", args[0])
		return 2
	}
}

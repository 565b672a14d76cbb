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
	"encoding/json"
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

// errorJSON is the line printed for a file that is refused: Error is the
// package's one-word error kind ("malformed", "bad-crc"...).
type errorJSON struct {
	File   string `json:"file"`
	Error  string `json:"error"`
	Detail string `json:"detail"`
}

// eachFile reads each file named in args, encodes what describe returns for
// it as a JSON line, and returns 1 if any file failed (could not be read, or
// describe returned an error), 2 on usage errors. A file that cannot be read
// is reported on stderr: it has no error kind.
func eachFile(cmd string, args []string, stdout, stderr io.Writer, describe func(name string, b []byte) (any, error)) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "usage: inspect %s FILE...\n", cmd)
		return 2
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	status := 0
	for _, name := range args {
		b, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(stderr, "inspect: %v\n", err)
			status = 1
			continue
		}
		v, err := describe(name, b)
		if err != nil {
			status = 1
		}
		if err := enc.Encode(v); err != nil {
			fmt.Fprintf(stderr, "inspect: %v\n", err)
			return 1
		}
	}
	return status
}

// Command inspect decodes what a peer sent first on a connection and prints it as
// JSON, one object a line per file:
//
//	go run ./examples/inspect hello FILE...   # TLS ClientHello (package sni)
//	go run ./examples/inspect proxy FILE...   # PROXY protocol header (package proxyproto)
//
// A FILE of "-" is standard input. A file that fails prints
// {"file":…,"error":"<kind>","detail":…} and the command exits with status 1.
// -h, after the command or a subcommand, prints the usage and exits with
// status 0.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// usage is printed by -h, and its first line on a usage error.
const usage = `Usage: inspect hello|proxy FILE...

Inspect decodes what a peer sent first on a connection and prints it as
JSON, one object a line per file:

  hello FILE...   a TLS ClientHello, from its first record header
  proxy FILE...   a PROXY protocol header, version 1 or 2

A FILE of - is standard input; -- ends the options. A file that fails
prints {"file":...,"error":"<kind>","detail":...} and the command exits
with status 1.
`

// run dispatches to a subcommand and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) < 1 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "hello":
		return runHello(args[1:], stdin, stdout, stderr)
	case "proxy":
		return runProxy(args[1:], stdin, stdout, stderr)
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

// eachFile reads each file named in args ("-" is stdin), encodes what
// describe returns for it as a JSON line, and returns 1 if any file failed
// (could not be read, or describe returned an error), 2 on usage errors.
// -h prints the subcommand's usage and returns 0. A file that cannot be read
// is reported on stderr: it has no error kind.
func eachFile(cmd, what string, args []string, stdin io.Reader, stdout, stderr io.Writer, describe func(name string, b []byte) (any, error)) int {
	use := fmt.Sprintf("Usage: inspect %s FILE...\n\nIt prints %s at the start of each FILE as one JSON\nobject a line. A FILE of - is standard input; -- ends the options.\n", cmd, what)
	if len(args) > 0 {
		switch args[0] {
		case "-h", "-help", "--help":
			fmt.Fprint(stdout, use)
			return 0
		case "--":
			args = args[1:]
		default:
			if len(args[0]) > 1 && args[0][0] == '-' {
				fmt.Fprintf(stderr, "inspect %s: unknown option %s\n%s", cmd, args[0], use)
				return 2
			}
		}
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, use)
		return 2
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	status := 0
	for _, name := range args {
		var b []byte
		var err error
		if name == "-" {
			b, err = io.ReadAll(stdin)
		} else {
			b, err = os.ReadFile(name)
		}
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

package haproxytest_test

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/haproxytest"
)

const minimal = `global
    zero-warning
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:PORT
    default_backend be
backend be
    server s1 127.0.0.1:1
`

func TestCheck(t *testing.T) {
	haproxytest.Check(t, strings.ReplaceAll(minimal, "PORT", "18443"), nil)
	out, err := haproxytest.CheckErr(t, "frontend x\n    bogus-directive\n", nil)
	if err == nil {
		t.Fatalf("CheckErr accepted an unknown directive:\n%s", out)
	}
}

func TestStart(t *testing.T) {
	port := haproxytest.FreePort(t)
	inst := haproxytest.Start(t, strings.ReplaceAll(minimal, "PORT", strconv.Itoa(port)), nil, port)
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 2*time.Second)
	if err != nil {
		t.Fatalf("dial: %v\n%s", err, inst.Output())
	}
	c.Close()
}

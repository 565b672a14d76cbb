package haproxycfg

import (
	"os"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/internal/golden"
	"github.com/drawbridge-go/drawbridge/internal/haproxytest"
	"github.com/drawbridge-go/drawbridge/route"
)

// Every compiler feature in one route file compiles to a golden
// configuration that haproxy -dW -c accepts.
func TestFeatures(t *testing.T) {
	data, err := os.ReadFile("testdata/features.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := route.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	text, err := res.Config.AppendText(nil)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/features.txtar", "haproxy.cfg", text)
	noDom(t, text)
	var ws strings.Builder
	for _, w := range res.Warnings {
		ws.WriteString(w.String() + "\n")
	}
	golden.Check(t, "testdata/features.txtar", "warnings", []byte(ws.String()))
	setCerts(t)
	haproxytest.Check(t, string(text), nil)
}

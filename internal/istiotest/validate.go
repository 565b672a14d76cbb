package istiotest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"istio.io/istio/pilot/test/xdstest"
	"istio.io/istio/pkg/config/analysis/analyzers"
	"istio.io/istio/pkg/config/analysis/local"
	"istio.io/istio/pkg/config/resource"
	"istio.io/istio/pkg/test"
	"istio.io/istio/pkg/util/protomarshal"
)

// Messages are what Istio's checks report on a gateway's configuration.
type Messages struct {
	// XDS are the failures of pilot/test/xdstest's validators on the
	// listeners, clusters and route configurations the gateway receives
	// ("listener contains duplicate listener filter: ...").
	XDS []string `json:"xds,omitempty"`
	// Analyzers are the messages of every analyzer of
	// pkg/config/analysis/analyzers on the objects together with the
	// cluster objects Load adds, as istioctl analyze prints them
	// ("Error [IST0101] (Gateway ns/name) Referenced credentialName not found: ...").
	Analyzers []string `json:"analyzers,omitempty"`
}

// Validate runs Istio's xDS validators and its analyzers.
func (g *Gateway) Validate() (Messages, error) {
	var m Messages
	r := &recorder{}
	r.run(func() { xdstest.ValidateListeners(r, g.sim.Listeners) })
	r.run(func() { xdstest.ValidateClusters(r, g.sim.Clusters) })
	r.run(func() { xdstest.ValidateRouteConfigurations(r, g.sim.Routes) })
	m.XDS = r.msgs
	var err error
	m.Analyzers, err = g.analyze()
	return m, err
}

func (g *Gateway) analyze() ([]string, error) {
	sa := local.NewSourceAnalyzer(analyzers.AllCombined(), "", resource.Namespace(g.namespace), nil)
	dir, err := os.MkdirTemp("", "istiotest")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	meshYAML, err := protomarshal.ToYAML(g.mesh)
	if err != nil {
		return nil, err
	}
	meshFile := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(meshFile, []byte(meshYAML), 0o600); err != nil {
		return nil, err
	}
	if err := sa.AddFileKubeMeshConfig(meshFile); err != nil {
		return nil, fmt.Errorf("istiotest: mesh config for the analyzers: %w", err)
	}
	// The test reader keeps runtime objects (pods, namespaces) that the
	// plain file reader drops, so selectors and secrets resolve.
	err = sa.AddTestReaderKubeSource([]local.ReaderSource{
		{Name: "istio.yaml", Reader: bytes.NewReader(g.stream.config)},
		{Name: "cluster.yaml", Reader: bytes.NewReader(g.objects)},
	})
	if err != nil {
		return nil, fmt.Errorf("istiotest: analyzer input: %w", err)
	}
	cancel := make(chan struct{})
	defer close(cancel)
	res, err := sa.Analyze(cancel)
	if err != nil {
		return nil, fmt.Errorf("istiotest: analyze: %w", err)
	}
	var out []string
	for _, msg := range res.Messages {
		out = append(out, msg.String())
	}
	return out, nil
}

// recorder collects the failures the xdstest validators report through
// testing.TB. The embedded interface is nil: the validators call only the
// methods recorder defines.
type recorder struct {
	testing.TB
	msgs []string
}

// fatal unwinds a validator that called Fatal; run recovers it.
type fatal struct{}

func (r *recorder) run(f func()) {
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(fatal); !ok {
				r.msgs = append(r.msgs, fmt.Sprintf("validator failed: %v", p))
			}
		}
	}()
	f()
}

func (r *recorder) Helper()                         {}
func (r *recorder) Log(args ...any)                 {}
func (r *recorder) Logf(format string, args ...any) {}
func (r *recorder) Error(args ...any)               { r.msgs = append(r.msgs, fmt.Sprint(args...)) }
func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fail()             { r.msgs = append(r.msgs, "failed") }
func (r *recorder) Failed() bool      { return len(r.msgs) > 0 }
func (r *recorder) FailNow()          { r.Fail(); panic(fatal{}) }
func (r *recorder) Fatal(args ...any) { r.Error(args...); panic(fatal{}) }
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(fatal{})
}
func (r *recorder) Skip(args ...any) { panic(fatal{}) }
func (r *recorder) Cleanup(f func()) {}
func (r *recorder) TempDir() string  { return os.TempDir() }
func (r *recorder) Name() string     { return "istiotest" }

// nopFailer is a test.Failer for xdstest's extractors on configuration
// the simulator already decoded: they fail only on undecodable protos.
type nopFailer struct{}

var _ test.Failer = nopFailer{}

func (nopFailer) Fail()                             { panic("istiotest: undecodable xDS") }
func (nopFailer) FailNow()                          { panic("istiotest: undecodable xDS") }
func (nopFailer) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (nopFailer) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (nopFailer) Log(args ...any)                   {}
func (nopFailer) Logf(format string, args ...any)   {}
func (nopFailer) TempDir() string                   { return os.TempDir() }
func (nopFailer) Helper()                           {}
func (nopFailer) Cleanup(func())                    {}
func (nopFailer) Skip(args ...any)                  {}

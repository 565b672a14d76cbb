package istiotest

import (
	"istio.io/istio/pkg/test"
)

// Report is everything [Check] learns about one gateway tier.
type Report struct {
	// Results answer the requests, in order.
	Results []Result `json:"results"`
	// Listeners are the gateway's listeners by port.
	Listeners []Listener `json:"listeners"`
	// Clusters are the clusters the gateway knows.
	Clusters []string `json:"clusters"`
	// Messages are the validators' and analyzers' findings.
	Messages Messages `json:"messages"`
	// TopologyFrom and IstioOperator are [Gateway]'s fields of the same
	// names; NumTrustedProxies and ProxyProtocol sum up its Topology.
	TopologyFrom      string `json:"topologyFrom,omitempty"`
	IstioOperator     string `json:"istioOperator,omitempty"`
	NumTrustedProxies int    `json:"numTrustedProxies"`
	ProxyProtocol     bool   `json:"proxyProtocol"`
}

// Check loads istioYAML as [Load] does, sends each request through
// [Gateway.Call] and validates the result, all inside Istio's test.Wrap, so
// it can run outside go test (Istio's test fixtures then report through
// the returned error instead of a *testing.T).
func Check(istioYAML []byte, opts Options, reqs []Request) (Report, error) {
	var rep Report
	var verr error
	err := test.Wrap(func(t test.Failer) {
		g := Load(t, istioYAML, opts)
		for _, r := range reqs {
			rep.Results = append(rep.Results, g.Call(r))
		}
		rep.Listeners = g.Listeners()
		rep.Clusters = g.Clusters()
		rep.Messages, verr = g.Validate()
		rep.TopologyFrom, rep.IstioOperator = g.TopologyFrom, g.IstioOperator
		rep.NumTrustedProxies = int(g.Topology.GetNumTrustedProxies())
		rep.ProxyProtocol = g.Topology.GetProxyProtocol() != nil
	})
	if err != nil {
		return Report{}, err
	}
	return rep, verr
}

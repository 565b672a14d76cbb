package istiocfg

import (
	"net/netip"
	"slices"
	"strconv"

	securityv1beta1 "istio.io/api/security/v1beta1"
	typev1beta1 "istio.io/api/type/v1beta1"

	"github.com/drawbridge-go/drawbridge/route"
)

// authorizationPolicy writes the IP policies the gateway enforces as one
// DENY AuthorizationPolicy in the workload's namespace: per route and
// policy, a rule refusing the client addresses outside the allowed
// networks (notRemoteIpBlocks) and one refusing the denied ones
// (remoteIpBlocks), each limited to the route's traffic. A DENY policy
// refuses only what its rules match, where an ALLOW policy would refuse
// every request of the gateway that no ALLOW rule matches.
//
// The route's traffic is named by the port the pods serve it on, its hosts
// and path for HTTP, and its server name (connection.sni) for TLS: Istio
// drops the HTTP-only fields of a DENY rule on TCP filter chains, so a
// rule for TLS the gateway terminates keeps the server name to spare the
// TLS it passes through on the same port.
func (k *compiler) authorizationPolicy() {
	if k.gp.AuthorizationPolicy == "" {
		return
	}
	ap := &securityv1beta1.AuthorizationPolicy{
		Selector: &typev1beta1.WorkloadSelector{MatchLabels: k.gp.Selector},
		Action:   securityv1beta1.AuthorizationPolicy_DENY,
	}
	for i := range k.plan.Routes {
		rp := &k.plan.Routes[i]
		h := rp.Gateway
		if h == nil || len(h.IPPolicies) == 0 || h.Same >= 0 {
			continue
		}
		to, when := trafficOf(rp)
		for _, pol := range h.IPPolicies {
			if len(pol.Allow) > 0 {
				ap.Rules = append(ap.Rules, &securityv1beta1.Rule{
					From: []*securityv1beta1.Rule_From{{Source: &securityv1beta1.Source{NotRemoteIpBlocks: networks(pol.Allow)}}},
					To:   to, When: when,
				})
			}
			if len(pol.Deny) > 0 {
				ap.Rules = append(ap.Rules, &securityv1beta1.Rule{
					From: []*securityv1beta1.Rule_From{{Source: &securityv1beta1.Source{RemoteIpBlocks: networks(pol.Deny)}}},
					To:   to, When: when,
				})
			}
		}
	}
	k.res.Objects = append(k.res.Objects, NewAuthorizationPolicy(k.gp.AuthorizationPolicy, k.ns, ap))
}

// trafficOf is the operation and conditions naming rp's traffic at the
// gateway.
func trafficOf(rp *route.RoutePlan) ([]*securityv1beta1.Rule_To, []*securityv1beta1.Condition) {
	h := rp.Gateway
	op := &securityv1beta1.Operation{Ports: []string{strconv.Itoa(h.TargetPort)}}
	var when []*securityv1beta1.Condition
	hosts := slices.Clone(h.Hosts)
	if slices.Contains(hosts, "*") {
		hosts = nil
	}
	if h.Kind == route.HTTP {
		op.Hosts = hosts
		if p := rp.Route.PathPrefix; p != "" {
			op.Paths = []string{p + "*"}
		}
	}
	if (h.Kind == route.TLS || h.Terminates) && len(hosts) > 0 {
		when = []*securityv1beta1.Condition{{Key: "connection.sni", Values: hosts}}
	}
	return []*securityv1beta1.Rule_To{{Operation: op}}, when
}

// networks writes prefixes as Istio's ipBlocks: a single address without
// its length.
func networks(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		if p.IsSingleIP() {
			out[i] = p.Addr().String()
		} else {
			out[i] = p.String()
		}
	}
	return out
}

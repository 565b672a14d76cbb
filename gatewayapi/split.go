package gatewayapi

import (
	"slices"
	"strconv"
)

// The Gateway API's bounds on a route (standard channel, v1.6).
const (
	maxRouteHostnames = 16 // HTTPRoute hostnames
	maxRouteParents   = 32 // parentRefs of every route kind
	maxRouteRules     = 16 // HTTPRoute rules
)

// split cuts the routes past the Gateway API's bounds into routes within
// them, for the same hosts and listeners: per 16 hostnames, with the
// parentRefs of the listeners of those hosts (32 at most), per 16 rules.
// Istio merges the rules of every HTTPRoute of a listener hostname and
// orders them by path, so the pieces route as the whole would. The first
// piece keeps the route's name; the others add "-<n>".
func (k *compiler) split() {
	hostOf := map[string]string{} // listener name -> hostname
	for _, l := range k.ls {
		hostOf[l.Name] = l.Hostname
	}
	used := map[string]bool{}
	for i := range k.res.Objects {
		// Names made of route names ("<route>-redirect-https", "<route>-80",
		// the redirect Gateway's) may meet another route's: the later
		// object takes a suffix.
		o := &k.res.Objects[i]
		name := o.Metadata.Name
		for n := 2; used[o.Kind+"/"+o.Metadata.Namespace+"/"+o.Metadata.Name]; n++ {
			o.Metadata.Name = name + "-" + strconv.Itoa(n)
		}
		used[o.Kind+"/"+o.Metadata.Namespace+"/"+o.Metadata.Name] = true
	}
	var out []Object
	for _, o := range k.res.Objects {
		var hosts []string
		var parents []ParentRef
		var rules int
		switch s := o.Spec.(type) {
		case *HTTPRouteSpec:
			hosts, parents, rules = s.Hostnames, s.ParentRefs, len(s.Rules)
			if len(hosts) <= maxRouteHostnames && len(parents) <= maxRouteParents && rules <= maxRouteRules {
				out = append(out, o)
				continue
			}
		case *TLSRouteSpec:
			hosts, parents = s.Hostnames, s.ParentRefs
			if len(parents) <= maxRouteParents {
				out = append(out, o)
				continue
			}
		default:
			out = append(out, o)
			continue
		}
		n := 0
		add := func(spec any) {
			n++
			p := o
			p.Spec = spec
			if n > 1 {
				base := o.Metadata.Name + "-" + strconv.Itoa(n)
				p.Metadata.Name = base
				for i := 2; used[o.Kind+"/"+o.Metadata.Namespace+"/"+p.Metadata.Name]; i++ {
					p.Metadata.Name = base + "-" + strconv.Itoa(i)
				}
				used[o.Kind+"/"+o.Metadata.Namespace+"/"+p.Metadata.Name] = true
			}
			out = append(out, p)
		}
		for hs := range chunks(hosts, maxRouteHostnames) {
			var own []ParentRef
			for _, r := range parents {
				if hs == nil || slices.ContainsFunc(hs, func(h string) bool { return covers(hostOf[r.SectionName], h) }) {
					own = append(own, r)
				}
			}
			for ps := range chunks(own, maxRouteParents) {
				switch s := o.Spec.(type) {
				case *HTTPRouteSpec:
					for rs := range chunks(s.Rules, maxRouteRules) {
						add(&HTTPRouteSpec{ParentRefs: ps, Hostnames: hs, Rules: rs})
					}
				case *TLSRouteSpec:
					add(&TLSRouteSpec{ParentRefs: ps, Hostnames: hs, Rules: s.Rules})
				}
			}
		}
	}
	k.res.Objects = out
}

// chunks yields xs in pieces of at most n, or one nil piece for no xs.
func chunks[T any](xs []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		if len(xs) == 0 {
			yield(nil)
			return
		}
		for i := 0; i < len(xs); i += n {
			if !yield(xs[i:min(len(xs), i+n)]) {
				return
			}
		}
	}
}

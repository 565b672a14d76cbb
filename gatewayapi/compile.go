package gatewayapi

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// Result is the gateway tier compiled as Gateway API objects.
type Result struct {
	// Objects are the Gateway API objects (Gateway, HTTPRoutes, TLSRoutes,
	// TCPRoutes, ReferenceGrants) and the ConfigMap of overlays of the
	// Service Istio creates, sorted by [SortObjects].
	Objects []Object
	// Istio are the Istio objects the Gateway API has no kind for, which
	// Istio applies to the Gateway's pods as to any gateway's:
	// ServiceEntries, DestinationRules, the AuthorizationPolicy of the IP
	// policies, the Telemetry of access logs, the PROXY-protocol
	// EnvoyFilter (all naming the Gateway in targetRefs), and
	// VirtualServices bound to the mesh only for the routes' meshBackends.
	Istio []istiocfg.Object
	// Certificates are the cert-manager Certificates the plan asks for
	// (gateway.certificates), as in the Istio form: their Secrets are in
	// the gateway's namespace, the Gateway's, where its certificateRefs
	// name them. Write them with [istiocfg.AppendCertificates].
	Certificates []istiocfg.Certificate
	// Warnings are the plan's warnings and the choices of this form that
	// deserve a second look; they never stop compilation.
	Warnings []route.Warning
	// InfrastructureAnnotations are the annotations Istio copies to the
	// pods it deploys for the Gateway (the proxy.istio.io/config gateway
	// topology: PROXY protocol, numTrustedProxies); they are in the
	// Gateway's spec.infrastructure. Nil when there is none, and with an
	// [ExistingDeployment] (see [Existing.PodAnnotations]).
	InfrastructureAnnotations map[string]string
	// Deployment is which workload serves the Gateway ([DeploymentOf]).
	Deployment Deployment
	// Existing is the existing workload of an [ExistingDeployment]: its
	// Service and the annotation its pods need. Nil when Istio deploys
	// the gateway.
	Existing *Existing
	// Service is the name of the Service the edge reaches, in the
	// Gateway's namespace: the one Istio creates for the Gateway (the
	// Gateway's name and "-istio"), with one port per listener port, each
	// on the same target port, or the existing workload's
	// (gateway.service.name, set even when there is no Gateway to write).
	// Empty without a Gateway when Istio deploys it.
	Service string
}

// Compile plans c ([route.Config.Plan]) and compiles its gateway tier.
func Compile(c *route.Config) (*Result, error) {
	p, err := c.Plan()
	if err != nil {
		return nil, err
	}
	return CompilePlan(p)
}

// CompilePlan returns the gateway tier of a plan made by
// [route.Config.Plan] as Gateway API objects, or an [*Error] naming the
// field of the Config the Gateway API cannot express. Without a gateway
// tier the result is empty.
func CompilePlan(p *route.Plan) (*Result, error) {
	res := &Result{Warnings: slices.Clone(p.Warnings)}
	if p.Gateway == nil {
		return res, nil
	}
	k := &compiler{plan: p, gp: p.Gateway, res: res, ns: p.Gateway.Namespace, rns: p.Gateway.RoutesNamespace, gw: p.Gateway.Name}
	res.Deployment = DeploymentOf(p)
	k.existing = res.Deployment == ExistingDeployment
	if err := k.check(); err != nil {
		return nil, err
	}
	if err := k.istio(); err != nil {
		return nil, err
	}
	if err := k.listeners(); err != nil {
		return nil, err
	}
	if err := k.routes(); err != nil {
		return nil, err
	}
	k.split()
	k.gateway()
	k.grants()
	SortObjects(res.Objects)
	return res, nil
}

type compiler struct {
	plan *route.Plan
	gp   *route.GatewayPlan
	res  *Result
	// ns is the Gateway's (and its pods') namespace, rns the routes'; gw
	// the Gateway's name.
	ns, rns, gw string
	// existing: the Gateway binds to the model's existing workload.
	existing bool

	ls []Listener
	// byServer are the indexes in ls of each server's listeners.
	byServer [][]int
	// httpGroups are the gateway's HTTP routes grouped as HTTPRoutes.
	httpGroups [][]*route.RoutePlan
	// grantNS are the route kinds referring to Services per namespace.
	grantNS map[grantKey]bool
}

// check refuses what the Gateway API form cannot carry as the model says.
func (k *compiler) check() error {
	// An existing Service maps its ports to the pods' target ports, which
	// Istio resolves for a Gateway naming the Service, and has the
	// model's name.
	if !k.existing {
		if g := k.plan.Config.Gateway; g != nil && g.Service != nil && g.Service.UnprivilegedPorts {
			return &Error{"gateway.service.unprivilegedPorts", "Istio deploys a Gateway API Gateway with pods that bind every listener port as it is (target port = port): unprivilegedPorts has no Gateway API form"}
		}
		if svc := k.gw + "-" + ClassName; len(svc) > 63 {
			return &Error{"gateway.name", fmt.Sprintf("Istio names the Service and Deployment of a Gateway API Gateway %q, longer than the 63 characters of a Kubernetes name: shorten the Gateway's name", svc)}
		}
	}
	for si, s := range k.gp.Servers {
		if s.Mode == route.TLSMutual {
			return &Error{k.listenerPath(si) + ".tls.clientCA", "client certificates are verified in the Gateway API by a CA ConfigMap (spec.tls.frontend), which the model does not name: use the Istio form"}
		}
	}
	return nil
}

// listenerPath is the field path of the listener whose routes use gateway
// server si.
func (k *compiler) listenerPath(si int) string {
	for i := range k.plan.Routes {
		rp := &k.plan.Routes[i]
		if rp.Gateway != nil && rp.Gateway.Server == si {
			for li := range k.plan.Config.Listeners {
				if &k.plan.Config.Listeners[li] == rp.Listener {
					return fmt.Sprintf("listeners[%d]", li)
				}
			}
		}
	}
	return "listeners"
}

// routePath is the field path of a route: its place in Config.Routes, or
// the acme setting of its listener.
func (k *compiler) routePath(rp *route.RoutePlan) string {
	if rp.Index < len(k.plan.Config.Routes) && &k.plan.Config.Routes[rp.Index] == rp.Route {
		return fmt.Sprintf("routes[%d]", rp.Index)
	}
	for li := range k.plan.Config.Listeners {
		if &k.plan.Config.Listeners[li] == rp.Listener {
			return fmt.Sprintf("listeners[%d].acme", li)
		}
	}
	return "routes"
}

// gateway writes the Gateway: the listeners, the topology annotations and
// the overlay of its Service. A plan whose gateway serves no route of
// this Config (every route hands its traffic to a gateway configured
// elsewhere) has no Gateway: the warning says what that Gateway needs.
func (k *compiler) gateway() {
	if len(k.ls) == 0 {
		if a := k.res.InfrastructureAnnotations; a != nil {
			k.res.Warnings = append(k.res.Warnings, route.Warning{Path: "gateway", Detail: fmt.Sprintf(
				"no Gateway to write (its routes are configured elsewhere): give that Gateway spec.infrastructure.annotations %s: %s", istiocfg.ProxyConfigAnnotation, a[istiocfg.ProxyConfigAnnotation])})
		}
		return
	}
	spec := &GatewaySpec{GatewayClassName: ClassName, Listeners: k.ls[:min(len(k.ls), MaxListeners)]}
	for i := MaxListeners; i < len(k.ls); i += MaxListeners {
		// The listeners past a Gateway's room, in ListenerSets of the
		// Gateway's namespace.
		spec.AllowedListeners = &AllowedListeners{Namespaces: &RouteNamespaces{From: "Same"}}
		k.res.Objects = append(k.res.Objects, Object{APIVersion: GatewayV1, Kind: KindListenerSet,
			Metadata: Metadata{Name: k.listenerSet(i), Namespace: k.ns},
			Spec:     &ListenerSetSpec{ParentRef: ListenerSetParent{Name: k.gw}, Listeners: k.ls[i:min(len(k.ls), i+MaxListeners)]}})
	}
	if a := k.res.InfrastructureAnnotations; a != nil {
		spec.Infrastructure = &Infrastructure{Annotations: maps.Clone(a)}
	}
	if k.existing {
		// Istio deploys nothing: the infrastructure annotations and the
		// overlay of its Service would reach no pod and no Service.
		spec.Infrastructure = nil
		spec.Addresses = []GatewayAddress{serviceAddress(k.res.Service, k.ns)}
	} else if svc := k.gp.Service; svc != nil {
		var overlay []string
		if svc.Type != "" && svc.Type != route.ServiceLoadBalancer {
			overlay = append(overlay, "  type: "+string(svc.Type))
		}
		if svc.ExternalTrafficPolicyLocal {
			overlay = append(overlay, "  externalTrafficPolicy: Local")
		}
		if len(overlay) > 0 {
			name := k.gw + "-options"
			if spec.Infrastructure == nil {
				spec.Infrastructure = &Infrastructure{}
			}
			spec.Infrastructure.ParametersRef = &ParametersRef{Group: "", Kind: KindConfigMap, Name: name}
			k.res.Objects = append(k.res.Objects, Object{
				APIVersion: CoreV1, Kind: KindConfigMap,
				Metadata: Metadata{Name: name, Namespace: k.ns},
				Data:     map[string]string{"service": "spec:\n" + strings.Join(overlay, "\n") + "\n"},
			})
		}
	}
	if !k.existing {
		k.res.Service = k.gw + "-" + ClassName
	}
	k.res.Objects = append(k.res.Objects, Object{APIVersion: GatewayV1, Kind: KindGateway, Metadata: Metadata{Name: k.gw, Namespace: k.ns}, Spec: spec})
}

// listenerSet is the name of the ListenerSet holding listener li, or ""
// for a listener of the Gateway itself.
func (k *compiler) listenerSet(li int) string {
	if li < MaxListeners {
		return ""
	}
	return k.gw + "-listeners-" + strconv.Itoa(li/MaxListeners)
}

// listeners turns each gateway server into one listener per host (a
// Gateway API listener has at most one hostname; "*" is a listener
// without one). Servers of one port and host with the same protocol and
// TLS share a listener.
func (k *compiler) listeners() error {
	type key struct {
		port int
		host string
	}
	byKey := map[key]int{}
	allowed := k.allowedRoutes()
	family := map[int]string{}
	names := map[string]bool{}
	k.byServer = make([][]int, len(k.gp.Servers))
	for si, s := range k.gp.Servers {
		l := Listener{Port: s.Port}
		fam := "http"
		switch {
		case s.Protocol == route.HTTPS:
			l.Protocol, fam = ProtocolHTTPS, "tls"
			l.TLS = &ListenerTLS{Mode: TLSTerminate, CertificateRefs: []SecretRef{{Name: s.Credential}}}
		case s.Protocol == route.TLS:
			l.Protocol, fam = ProtocolTLS, "tls"
			l.TLS = &ListenerTLS{Mode: TLSPassthrough}
		case s.Protocol == route.TCP:
			l.Protocol, fam = ProtocolTCP, "tcp"
		default:
			l.Protocol = ProtocolHTTP
		}
		if f, ok := family[s.Port]; ok && f != fam {
			return &Error{k.listenerPath(si), fmt.Sprintf("gateway port %d would carry %s and %s listeners, which the Gateway API refuses on one port", s.Port, f, fam)}
		}
		family[s.Port] = fam
		l.AllowedRoutes = allowed
		hosts := s.Hosts
		if len(hosts) == 0 {
			hosts = []string{"*"}
		}
		for hi, h := range hosts {
			l := l
			if h != "*" {
				l.Hostname = h
			}
			kk := key{s.Port, l.Hostname}
			if i, ok := byKey[kk]; ok {
				o := k.ls[i]
				if o.Protocol != l.Protocol || !sameTLS(o.TLS, l.TLS) {
					return &Error{k.listenerPath(si), fmt.Sprintf("host %q on gateway port %d would need two listeners (%s and %s) the Gateway API refuses together", h, s.Port, o.Protocol, l.Protocol)}
				}
				k.byServer[si] = append(k.byServer[si], i)
				continue
			}
			name := s.Name
			if len(hosts) > 1 {
				name += "-" + strconv.Itoa(hi)
			}
			for n := 2; names[name]; n++ {
				name = s.Name + "-" + strconv.Itoa(hi) + "-" + strconv.Itoa(n)
			}
			names[name] = true
			l.Name = name
			byKey[kk] = len(k.ls)
			k.byServer[si] = append(k.byServer[si], len(k.ls))
			k.ls = append(k.ls, l)
		}
	}
	return nil
}

// allowedRoutes admits the routes of the namespaces the routes are in
// and of the Gateway's own (by the kubernetes.io/metadata.name label
// Kubernetes gives every namespace), or is nil (the Gateway's namespace
// only) when they are all in the Gateway's.
func (k *compiler) allowedRoutes() *AllowedRoutes {
	var nss []string
	if k.gp.RedirectGateway != "" && k.rns != k.ns {
		nss = append(nss, k.rns)
	}
	for i := range k.plan.Routes {
		if rp := &k.plan.Routes[i]; rp.Gateway != nil {
			if ns := k.routeNS(rp); ns != k.ns {
				nss = append(nss, ns)
			}
		}
	}
	if len(nss) == 0 {
		return nil
	}
	// Selected namespaces replace the default, the Gateway's own: it is
	// selected too.
	nss = append(nss, k.ns)
	slices.Sort(nss)
	nss = slices.Compact(nss)
	switch len(nss) {
	case 1:
		return &AllowedRoutes{Namespaces: &RouteNamespaces{From: "Selector",
			Selector: &LabelSelector{MatchLabels: map[string]string{namespaceLabel: nss[0]}}}}
	}
	return &AllowedRoutes{Namespaces: &RouteNamespaces{From: "Selector",
		Selector: &LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: namespaceLabel, Operator: "In", Values: nss}}}}}
}

// namespaceLabel is the label Kubernetes puts on every namespace, with its
// name.
const namespaceLabel = "kubernetes.io/metadata.name"

func sameTLS(a, b *ListenerTLS) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Mode == b.Mode && slices.Equal(a.CertificateRefs, b.CertificateRefs)
}

// istio compiles the Istio objects that still apply to the Gateway's pods;
// those that select the pods name the Gateway instead (targetRefs).
func (k *compiler) istio() error {
	cp := *k.plan
	if !k.existing {
		gp := *k.gp
		gp.Selector = map[string]string{GatewayNameLabel: k.gw}
		cp.Gateway = &gp
	}
	ir, err := istiocfg.CompilePlan(&cp)
	if err != nil {
		return err
	}
	if k.existing {
		// The existing pods carry no gateway-name label: Istio ignores
		// targetRefs on them, the selector-based objects apply as in the
		// Istio form.
		k.res.Existing = &Existing{Service: ir.Service, PodAnnotations: ir.GatewayPodAnnotations}
		if ir.Service != nil {
			k.res.Service = ir.Service.Name
		}
	} else {
		k.res.InfrastructureAnnotations = ir.GatewayPodAnnotations
	}
	k.res.Certificates = ir.Certificates
	for _, o := range ir.Objects {
		switch o.Kind {
		case istiocfg.KindGateway:
			continue
		case istiocfg.KindVirtualService:
			if o = meshOnly(o); o.Spec == nil {
				continue
			}
		default:
			if !k.existing {
				o, _ = targetGateway(o, k.gw)
			}
		}
		k.res.Istio = append(k.res.Istio, o)
	}
	return nil
}

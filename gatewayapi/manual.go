package gatewayapi

import (
	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// Deployment is which gateway workload serves the Gateway.
type Deployment string

// The deployments of a Gateway.
const (
	// DeployedByIstio: Istio's deployment controller deploys a Deployment
	// and a Service "<gateway>-istio" for the Gateway, in its namespace.
	DeployedByIstio Deployment = "istio"
	// ExistingDeployment: the Gateway binds to the existing gateway
	// workload of the model (gateway.selector) through its Service
	// (gateway.service.name in gateway.namespace), named in the Gateway's
	// spec.addresses as a Hostname; Istio deploys nothing for it.
	ExistingDeployment Deployment = "existing"
)

// DeploymentOf is the one rule choosing the deployment of the Gateway
// API form of p: a Config that sets gateway.selector names an existing
// gateway workload (its pods carry those labels, its Service is
// gateway.service.name, istio-ingressgateway unless named), which the
// Gateway then uses; without a selector Istio deploys the gateway.
func DeploymentOf(p *route.Plan) Deployment {
	if p.Config != nil && p.Config.Gateway != nil && p.Config.Gateway.Selector != nil {
		return ExistingDeployment
	}
	return DeployedByIstio
}

// Existing is the existing gateway workload a Gateway of the
// [ExistingDeployment] form binds to.
type Existing struct {
	// Service is the workload's Service, in the Gateway's namespace: the
	// Gateway's listener ports are its ports, served on their target
	// ports. Write it with [istiocfg.Service.AppendYAML] or
	// [istiocfg.AppendChartValues], as in the Istio form.
	Service *istiocfg.Service
	// PodAnnotations is the gateway topology as the proxy.istio.io/config
	// annotation of the workload's pods (Helm values podAnnotations of the
	// istio/gateway chart, or the Deployment's pod template): Istio copies
	// a Gateway's infrastructure annotations to the pods it deploys only.
	// Nil when there is no topology to set.
	PodAnnotations map[string]string
}

// serviceAddress is the Hostname address of the existing Service:
// Istio gives the Gateway's listeners to the proxies behind the Services
// its spec.addresses name, when they are in the Gateway's namespace.
func serviceAddress(name, ns string) GatewayAddress {
	return GatewayAddress{Type: "Hostname", Value: name + "." + ns + ".svc.cluster.local"}
}

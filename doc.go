// Package drawbridge is an SDK for the traffic edge in front of an Istio mesh:
// HAProxy (or a Go proxy of your own) routing TLS by SNI without decrypting
// it, keeping the client's address with the PROXY protocol, re-encrypting to
// the Istio ingress gateway with the right SNI and Host, and an Istio
// configuration that agrees with all of it.
//
// This package holds no code; it is the map of the SDK.
//
// # Packages
//
// The data plane, for proxies built on drawbridge:
//
//   - [github.com/drawbridge-go/drawbridge/sni] parses a TLS ClientHello and
//     peeks it off a net.Conn without consuming it: server name, ALPN,
//     versions, JA3/JA4 fingerprints.
//   - [github.com/drawbridge-go/drawbridge/proxyproto] reads and writes
//     PROXY protocol v1 and v2 headers with their TLVs, and wraps a
//     net.Listener so that only trusted peers may send one.
//   - [github.com/drawbridge-go/drawbridge/proxy] is the glue of an SNI
//     router built from the two: a Server that peeks the hello, asks a
//     Route func (or a route.Table with its route.Plan: proxy.TableRoute)
//     for the target, dials it, sends the PROXY header and the hello, and
//     copies both ways with half-close, idle deadlines and graceful
//     shutdown.
//
// The model and its generators:
//
//   - [github.com/drawbridge-go/drawbridge/route] describes the edge once:
//     listeners, routes, backends, the edge and gateway tiers, and where TLS
//     ends. It validates, reads and writes YAML, plans both tiers
//     ([route.Config.Plan]: every decision made once), and compiles a
//     runtime host table ([route.Table]) for custom proxies.
//   - [github.com/drawbridge-go/drawbridge/haproxycfg] is a typed haproxy.cfg
//     with safe quoting, compiled from a route.Plan, and a reader of
//     existing haproxy.cfg files.
//   - [github.com/drawbridge-go/drawbridge/istiocfg] builds Istio resources
//     (Gateway, VirtualService, DestinationRule, ServiceEntry, EnvoyFilter,
//     Telemetry, the gateway pods' proxy configuration) on istio.io/api
//     types, compiled from the same route.Plan, and writes them as
//     deterministic YAML.
//   - [github.com/drawbridge-go/drawbridge/gatewayapi] writes the same
//     gateway tier as Kubernetes Gateway API objects (Gateway, HTTPRoute,
//     TLSRoute, TCPRoute, ReferenceGrant) for Istio's Gateway API
//     controller, from the same route.Plan: the edge tier is the same
//     whichever form the gateway tier takes.
//
// Checking what is written:
//
//   - [github.com/drawbridge-go/drawbridge/check] reads both tiers as written
//     and traces each host through them, reporting where they disagree: for
//     edges written by hand, and as the generators' independent oracle.
//
// # Data flow
//
// Configuration: route.Load (or Go literals) → Config.Plan (every problem,
// each with a field path, or every decision of both tiers) →
// haproxycfg.Compiler.CompilePlan and istiocfg.CompilePlan → haproxy.cfg
// with map files, Istio YAML and the gateway pods' Helm values. The same
// input gives the same bytes.
//
// Data plane, all of it in proxy.Server: net.Listener → proxyproto.Listener
// (a header only from trusted peers, under a deadline) → sni.Peek (just the
// ClientHello, bounded) → route.Table.Match → dial the backend → a PROXY v2
// header → copy both ways.
//
// # Stability
//
// Until version 1.0.0, minor versions may change exported APIs; every such
// change is named in CHANGELOG.md at the root of the repository. The
// generated configurations are deterministic within a version: a change of
// output is a change of version. Packages under internal/ are not for use
// outside this module.
//
// # Examples
//
// Example_router is a whole SNI router in a few lines: package proxy routes
// a real crypto/tls client to an HTTPS backend behind a
// proxyproto.Listener. Each package's documentation names its own
// examples.
package drawbridge

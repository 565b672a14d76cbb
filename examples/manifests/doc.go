// Package manifests shows the third use of drawbridge: a platform team's own
// tests build the edge's route.Config in Go, compile both tiers, and assert
// on the generated Istio objects and haproxy.cfg (hosts, where TLS ends,
// PROXY protocol on both sides) without writing YAML by hand. Its test file,
// edge_test.go, is the example; this package has no code of its own.
package manifests

module github.com/drawbridge-go/drawbridge

go 1.26.0

require (
	github.com/pires/go-proxyproto v0.15.0 // indirect
	go.yaml.in/yaml/v2 v2.4.2 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	istio.io/api v1.31.1 // indirect
	sigs.k8s.io/yaml v1.6.0 // indirect
)

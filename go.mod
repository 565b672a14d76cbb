module github.com/drawbridge-go/drawbridge

go 1.26.0

require (
	github.com/pires/go-proxyproto v0.15.0
	golang.org/x/crypto v0.58.0
	google.golang.org/protobuf v1.36.11
	istio.io/api v1.31.1
	sigs.k8s.io/yaml v1.6.0
)

require (
	github.com/golang/protobuf v1.5.4 // indirect
	go.yaml.in/yaml/v2 v2.4.2 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20251213004720-97cd9d5aeac2 // indirect
)

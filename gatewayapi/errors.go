package gatewayapi

// Error is something the model asks for that the Gateway API (standard
// channel, v1.6) or Istio's implementation of it cannot express, at a field
// path of the route.Config ("routes[3].hosts[0]").
type Error struct {
	Path   string
	Detail string
}

// Error returns "gatewayapi: path: detail".
func (e *Error) Error() string {
	if e.Path == "" {
		return "gatewayapi: " + e.Detail
	}
	return "gatewayapi: " + e.Path + ": " + e.Detail
}

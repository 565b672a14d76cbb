package route

// Warning is a configuration that works but is probably not what was meant,
// such as a certificate that is not verified. Generators return warnings
// beside their output; they never stop generation.
type Warning struct {
	Path   string // field path in the Config ("gateway.tls"), or "" for the whole
	Detail string // what is surprising and what to do about it
}

// String returns "path: detail".
func (w Warning) String() string {
	if w.Path == "" {
		return w.Detail
	}
	return w.Path + ": " + w.Detail
}

package haproxycfg

import (
	"errors"
	"testing"
)

// Several problems come back as one *ValidationError listing them all, the
// first of which errors.As finds as an *Error.
func TestValidationErrorLists(t *testing.T) {
	c := &Config{Proxies: []*Proxy{
		{Kind: ProxyBackend, Name: "a b"},
		{Kind: ProxyBackend, Name: "c\nd"},
	}}
	err := c.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != 2 {
		t.Fatalf("Validate() = %v; want a *ValidationError with 2 problems", err)
	}
	var e *Error
	if !errors.As(err, &e) || e != ve.Errors[0] || !errors.Is(err, ErrInvalid) {
		t.Errorf("errors.As(*Error) = %v; want the first problem, wrapping ErrInvalid", e)
	}
	if _, err := c.AppendText(nil); !errors.As(err, &ve) {
		t.Errorf("AppendText = %v; want a *ValidationError", err)
	}
	if err := (&Config{}).Validate(); err != nil {
		t.Errorf("empty Validate() = %v; want nil", err)
	}
}

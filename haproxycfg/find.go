package haproxycfg

// Proxy returns the first frontend, backend or listen section named name,
// or nil. Tests use it to assert on a compiled configuration without
// parsing its text.
func (c *Config) Proxy(name string) *Proxy {
	for _, p := range c.Proxies {
		if p.Name == name {
			return p
		}
	}
	return nil
}

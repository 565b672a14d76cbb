package istiocfg

// Find returns the object of the given kind and name ("Gateway", "web"),
// in any namespace, and whether there is one. Tests use it to assert on a
// compiled tier without going through YAML.
func (r *Result) Find(kind, name string) (Object, bool) {
	for _, o := range r.Objects {
		if o.Kind == kind && o.Metadata.Name == name {
			return o, true
		}
	}
	return Object{}, false
}

// OfKind returns the objects of one kind, in the order of r.Objects.
func (r *Result) OfKind(kind string) []Object {
	var out []Object
	for _, o := range r.Objects {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

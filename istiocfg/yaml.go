package istiocfg

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// WriteYAML writes objs to w as one YAML stream, documents separated by
// "---", sorted by kind, namespace and name (objs itself is not reordered).
// See [AppendYAML] for the format.
func WriteYAML(w io.Writer, objs ...Object) error {
	b, err := AppendYAML(make([]byte, 0, 1024*len(objs)), objs...)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// AppendYAML appends objs to b as a YAML stream, the way [WriteYAML] writes
// it, and returns the extended buffer.
//
// The writer walks each spec with protoreflect instead of going through
// jsonpb, so that what reaches the API server is what was built:
//
//   - fields in the order the .proto file declares them, under their JSON
//     (lowerCamelCase) names; map entries sorted by key; no status;
//   - a field is written when it is set: non-zero scalars, non-empty lists
//     and maps, present messages (an empty one as {}, as in
//     "proxyProtocol: {}"), oneof members even when zero;
//   - enums by name. A few enums whose zero value is a real choice are
//     written even when zero (proto3 cannot tell "set to zero" from "unset"):
//     ServerTLSSettings.mode (PASSTHROUGH) unless the settings only carry
//     httpsRedirect, ClientTLSSettings.mode (DISABLE), ServiceEntry.location
//     (MESH_EXTERNAL) and ServiceEntry.resolution (NONE);
//   - 64-bit integers as numbers (jsonpb writes them as strings, which the
//     CRD schemas reject), floats in their shortest form;
//   - well-known types in their JSON forms: Duration as "1.5s", Timestamp in
//     RFC 3339, wrappers as their value, Struct/Value/ListValue as YAML
//     mappings, sequences and scalars. Any and FieldMask are refused with
//     [ErrUnsupported], as are NaN, infinities and invalid UTF-8;
//   - strings plain when that is unambiguous in YAML 1.1 (what
//     sigs.k8s.io/yaml reads), double-quoted otherwise ("*", "80",
//     "10.0.0.1", "yes", "@type").
//
// Errors are [*Error] values carrying the document index and field path.
func AppendYAML(b []byte, objs ...Object) ([]byte, error) {
	order := make([]int, len(objs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return compareObjects(objs[i], objs[j]) })
	e := encoder{b: b}
	for n, i := range order {
		if n > 0 {
			e.b = append(e.b, "---\n"...)
		}
		if err := e.object(&objs[i]); err != nil {
			o := &objs[i]
			ye := &Error{Doc: n, Kind: o.Kind, Name: o.Metadata.Name, Err: err}
			var pe *pathError
			if errors.As(err, &pe) {
				ye.Path, ye.Err = pe.path(), pe.err
			}
			return e.b, ye
		}
	}
	return e.b, nil
}

// MarshalYAML returns the YAML of one object, as [AppendYAML] writes it.
func (o Object) MarshalYAML() ([]byte, error) { return AppendYAML(nil, o) }

var errMissingIdentity = errors.New("apiVersion, kind and metadata.name are required")

// pathError carries a field path built while unwinding the walk.
type pathError struct {
	segs []string // innermost first
	err  error
}

func (p *pathError) Error() string { return p.path() + ": " + p.err.Error() }
func (p *pathError) Unwrap() error { return p.err }

func (p *pathError) path() string {
	s := ""
	for i := len(p.segs) - 1; i >= 0; i-- {
		seg := p.segs[i]
		if s != "" && seg[0] != '[' {
			s += "."
		}
		s += seg
	}
	return s
}

func withPath(err error, seg string) error {
	if pe, ok := err.(*pathError); ok {
		pe.segs = append(pe.segs, seg)
		return pe
	}
	return &pathError{segs: []string{seg}, err: err}
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnsupported}, args...)...)
}

type encoder struct {
	b []byte
}

func (e *encoder) pad(n int) {
	for ; n >= 8; n -= 8 {
		e.b = append(e.b, "        "...)
	}
	e.b = append(e.b, "        "[:n]...)
}

func (e *encoder) object(o *Object) error {
	if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
		return errMissingIdentity
	}
	var err error
	e.b = append(e.b, "apiVersion: "...)
	if e.b, err = appendString(e.b, o.APIVersion); err != nil {
		return withPath(err, "apiVersion")
	}
	e.b = append(e.b, "\nkind: "...)
	if e.b, err = appendString(e.b, o.Kind); err != nil {
		return withPath(err, "kind")
	}
	e.b = append(e.b, "\nmetadata:\n  name: "...)
	if e.b, err = appendString(e.b, o.Metadata.Name); err != nil {
		return withPath(err, "metadata.name")
	}
	e.b = append(e.b, '\n')
	if o.Metadata.Namespace != "" {
		e.b = append(e.b, "  namespace: "...)
		if e.b, err = appendString(e.b, o.Metadata.Namespace); err != nil {
			return withPath(err, "metadata.namespace")
		}
		e.b = append(e.b, '\n')
	}
	if err := e.stringMap("labels", o.Metadata.Labels); err != nil {
		return withPath(err, "metadata")
	}
	if err := e.stringMap("annotations", o.Metadata.Annotations); err != nil {
		return withPath(err, "metadata")
	}
	e.b = append(e.b, "spec:"...)
	var m protoreflect.Message
	if o.Spec != nil {
		m = o.Spec.ProtoReflect()
	}
	indent := 0
	if o.Kind == KindIstioOperator && o.APIVersion == InstallV1Alpha1 {
		e.b = append(e.b, "\n  meshConfig:"...)
		indent = 2
	}
	if m == nil || !m.IsValid() {
		e.b = append(e.b, " {}\n"...)
		return nil
	}
	if err := e.message(m, indent, false); err != nil {
		if indent == 2 {
			err = withPath(err, "meshConfig")
		}
		return withPath(err, "spec")
	}
	return nil
}

func (e *encoder) stringMap(key string, m map[string]string) error {
	if len(m) == 0 {
		return nil
	}
	e.b = append(e.b, "  "...)
	e.b = append(e.b, key...)
	e.b = append(e.b, ":\n"...)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var err error
	for _, k := range keys {
		e.b = append(e.b, "    "...)
		if e.b, err = appendString(e.b, k); err != nil {
			return withPath(err, key)
		}
		e.b = append(e.b, ": "...)
		if e.b, err = appendString(e.b, m[k]); err != nil {
			return withPath(err, key+"["+strconv.Quote(k)+"]")
		}
		e.b = append(e.b, '\n')
	}
	return nil
}

// writeZero reports whether field fd of m is written although it holds the
// zero value: the enums whose zero value is a choice the model makes.
func writeZero(m protoreflect.Message, fd protoreflect.FieldDescriptor) bool {
	if fd.Kind() != protoreflect.EnumKind || fd.Cardinality() == protoreflect.Repeated || fd.HasPresence() {
		return false
	}
	switch fd.FullName() {
	case "istio.networking.v1alpha3.ServerTLSSettings.mode":
		hr := m.Descriptor().Fields().ByName("https_redirect")
		return hr == nil || !m.Get(hr).Bool()
	case "istio.networking.v1alpha3.ClientTLSSettings.mode",
		"istio.networking.v1alpha3.ServiceEntry.location",
		"istio.networking.v1alpha3.ServiceEntry.resolution":
		return true
	}
	return false
}

// hasOutput reports whether message m writes at least one field.
func hasOutput(m protoreflect.Message) bool {
	found := false
	m.Range(func(protoreflect.FieldDescriptor, protoreflect.Value) bool {
		found = true
		return false
	})
	if found {
		return true
	}
	fds := m.Descriptor().Fields()
	for i := 0; i < fds.Len(); i++ {
		if writeZero(m, fds.Get(i)) {
			return true
		}
	}
	return false
}

// message writes m after "key:" (dash false) or after "- " (dash true);
// indent is the column of that key or dash.
func (e *encoder) message(m protoreflect.Message, indent int, dash bool) error {
	switch v := m.Interface().(type) {
	case *structpb.Struct:
		return e.structFields(v.GetFields(), indent, dash)
	case *structpb.ListValue:
		return e.structList(v.GetValues(), indent, dash)
	case *structpb.Value:
		return e.structValue(v, indent, dash)
	case *anypb.Any, *fieldmaskpb.FieldMask:
		return unsupported("%s", m.Descriptor().FullName())
	}
	if s, ok, err := wellKnownScalar(m); ok || err != nil {
		if err != nil {
			return err
		}
		e.sep(dash)
		e.b = append(e.b, s...)
		e.b = append(e.b, '\n')
		return nil
	}
	if !hasOutput(m) {
		e.empty(dash, "{}")
		return nil
	}
	if !dash {
		e.b = append(e.b, '\n')
	}
	return e.fields(m, indent+2, dash)
}

func (e *encoder) sep(dash bool) {
	if !dash {
		e.b = append(e.b, ' ')
	}
}

func (e *encoder) empty(dash bool, s string) {
	e.sep(dash)
	e.b = append(e.b, s...)
	e.b = append(e.b, '\n')
}

// fields writes the fields of m as mapping entries at column indent; with
// inline the first entry continues the current line (after "- ").
func (e *encoder) fields(m protoreflect.Message, indent int, inline bool) error {
	fds := m.Descriptor().Fields()
	first := inline
	for i := 0; i < fds.Len(); i++ {
		fd := fds.Get(i)
		if !m.Has(fd) && !writeZero(m, fd) {
			continue
		}
		if first {
			first = false
		} else {
			e.pad(indent)
		}
		e.b = append(e.b, fd.JSONName()...)
		e.b = append(e.b, ':')
		v := m.Get(fd)
		var err error
		switch {
		case fd.IsList():
			err = e.list(fd, v.List(), indent)
		case fd.IsMap():
			err = e.protoMap(fd, v.Map(), indent)
		case fd.Message() != nil:
			err = e.message(v.Message(), indent, false)
		default:
			e.b = append(e.b, ' ')
			err = e.scalar(fd, v)
			e.b = append(e.b, '\n')
		}
		if err != nil {
			return withPath(err, fd.JSONName())
		}
	}
	return nil
}

func (e *encoder) list(fd protoreflect.FieldDescriptor, l protoreflect.List, indent int) error {
	e.b = append(e.b, '\n')
	isMsg := fd.Message() != nil
	for i := 0; i < l.Len(); i++ {
		e.pad(indent)
		e.b = append(e.b, "- "...)
		var err error
		if isMsg {
			err = e.message(l.Get(i).Message(), indent, true)
		} else {
			err = e.scalar(fd, l.Get(i))
			e.b = append(e.b, '\n')
		}
		if err != nil {
			return withPath(err, "["+strconv.Itoa(i)+"]")
		}
	}
	return nil
}

func (e *encoder) protoMap(fd protoreflect.FieldDescriptor, m protoreflect.Map, indent int) error {
	keys := make([]protoreflect.MapKey, 0, m.Len())
	m.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		keys = append(keys, k)
		return true
	})
	kfd, vfd := fd.MapKey(), fd.MapValue()
	slices.SortFunc(keys, func(a, b protoreflect.MapKey) int {
		switch kfd.Kind() {
		case protoreflect.StringKind:
			return cmpString(a.String(), b.String())
		case protoreflect.BoolKind:
			return cmpBool(a.Bool(), b.Bool())
		case protoreflect.Uint32Kind, protoreflect.Uint64Kind, protoreflect.Fixed32Kind, protoreflect.Fixed64Kind:
			return cmpOrdered(a.Uint(), b.Uint())
		default:
			return cmpOrdered(a.Int(), b.Int())
		}
	})
	e.b = append(e.b, '\n')
	var err error
	for _, k := range keys {
		e.pad(indent + 2)
		if kfd.Kind() == protoreflect.StringKind {
			e.b, err = appendString(e.b, k.String())
		} else {
			e.b, err = appendString(e.b, k.Value().String())
		}
		if err != nil {
			return err
		}
		e.b = append(e.b, ':')
		v := m.Get(k)
		if vfd.Message() != nil {
			err = e.message(v.Message(), indent+2, false)
		} else {
			e.b = append(e.b, ' ')
			err = e.scalar(vfd, v)
			e.b = append(e.b, '\n')
		}
		if err != nil {
			return withPath(err, "["+strconv.Quote(k.String())+"]")
		}
	}
	return nil
}

func cmpString(a, b string) int { return cmpOrdered(a, b) }

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func cmpOrdered[T int64 | uint64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (e *encoder) scalar(fd protoreflect.FieldDescriptor, v protoreflect.Value) error {
	var err error
	switch fd.Kind() {
	case protoreflect.BoolKind:
		e.b = strconv.AppendBool(e.b, v.Bool())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		e.b = strconv.AppendInt(e.b, v.Int(), 10)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		e.b = strconv.AppendUint(e.b, v.Uint(), 10)
	case protoreflect.FloatKind:
		e.b, err = appendFloat(e.b, v.Float(), 32)
	case protoreflect.DoubleKind:
		e.b, err = appendFloat(e.b, v.Float(), 64)
	case protoreflect.StringKind:
		e.b, err = appendString(e.b, v.String())
	case protoreflect.BytesKind:
		e.b = appendQuoted(e.b, base64.StdEncoding.EncodeToString(v.Bytes()))
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			e.b = append(e.b, ev.Name()...)
		} else {
			e.b = strconv.AppendInt(e.b, int64(v.Enum()), 10)
		}
	default:
		err = unsupported("field kind %v", fd.Kind())
	}
	return err
}

func appendFloat(b []byte, f float64, bits int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, unsupported("non-finite number %v", f)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.AppendFloat(b, f, 'f', -1, bits), nil
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits), nil
}

// wellKnownScalar returns the scalar text of the well-known types written
// as one JSON value.
func wellKnownScalar(m protoreflect.Message) (string, bool, error) {
	switch v := m.Interface().(type) {
	case *durationpb.Duration:
		s, err := durationString(v)
		return s, true, err
	case *timestamppb.Timestamp:
		if err := v.CheckValid(); err != nil {
			return "", true, unsupported("%v", err)
		}
		return string(appendQuoted(nil, v.AsTime().UTC().Format(time.RFC3339Nano))), true, nil
	case *wrapperspb.BoolValue:
		return strconv.FormatBool(v.GetValue()), true, nil
	case *wrapperspb.Int32Value:
		return strconv.FormatInt(int64(v.GetValue()), 10), true, nil
	case *wrapperspb.Int64Value:
		return strconv.FormatInt(v.GetValue(), 10), true, nil
	case *wrapperspb.UInt32Value:
		return strconv.FormatUint(uint64(v.GetValue()), 10), true, nil
	case *wrapperspb.UInt64Value:
		return strconv.FormatUint(v.GetValue(), 10), true, nil
	case *wrapperspb.FloatValue:
		b, err := appendFloat(nil, float64(v.GetValue()), 32)
		return string(b), true, err
	case *wrapperspb.DoubleValue:
		b, err := appendFloat(nil, v.GetValue(), 64)
		return string(b), true, err
	case *wrapperspb.StringValue:
		b, err := appendString(nil, v.GetValue())
		return string(b), true, err
	case *wrapperspb.BytesValue:
		return string(appendQuoted(nil, base64.StdEncoding.EncodeToString(v.GetValue()))), true, nil
	}
	return "", false, nil
}

// durationString formats d as protojson does: seconds with 0, 3, 6 or 9
// fractional digits and an "s" suffix.
func durationString(d *durationpb.Duration) (string, error) {
	if err := d.CheckValid(); err != nil {
		return "", unsupported("%v", err)
	}
	secs, nanos := d.GetSeconds(), d.GetNanos()
	neg := secs < 0 || nanos < 0
	if secs < 0 {
		secs = -secs
	}
	if nanos < 0 {
		nanos = -nanos
	}
	b := make([]byte, 0, 24)
	if neg {
		b = append(b, '-')
	}
	b = strconv.AppendInt(b, secs, 10)
	if nanos != 0 {
		frac := strconv.AppendInt(nil, int64(nanos)+1e9, 10)[1:]
		for len(frac) > 3 && string(frac[len(frac)-3:]) == "000" {
			frac = frac[:len(frac)-3]
		}
		b = append(b, '.')
		b = append(b, frac...)
	}
	b = append(b, 's')
	return string(b), nil
}

func (e *encoder) structFields(fields map[string]*structpb.Value, indent int, dash bool) error {
	if len(fields) == 0 {
		e.empty(dash, "{}")
		return nil
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !dash {
		e.b = append(e.b, '\n')
	}
	var err error
	for i, k := range keys {
		if i > 0 || !dash {
			e.pad(indent + 2)
		}
		if e.b, err = appendString(e.b, k); err != nil {
			return err
		}
		e.b = append(e.b, ':')
		if err := e.structValue(fields[k], indent+2, false); err != nil {
			return withPath(err, k)
		}
	}
	return nil
}

func (e *encoder) structList(vals []*structpb.Value, indent int, dash bool) error {
	if len(vals) == 0 {
		e.empty(dash, "[]")
		return nil
	}
	col := indent
	if dash {
		col = indent + 2
	} else {
		e.b = append(e.b, '\n')
	}
	for i, v := range vals {
		if i > 0 || !dash {
			e.pad(col)
		}
		e.b = append(e.b, "- "...)
		if err := e.structValue(v, col, true); err != nil {
			return withPath(err, "["+strconv.Itoa(i)+"]")
		}
	}
	return nil
}

func (e *encoder) structValue(v *structpb.Value, indent int, dash bool) error {
	var err error
	switch k := v.GetKind().(type) {
	case *structpb.Value_StructValue:
		return e.structFields(k.StructValue.GetFields(), indent, dash)
	case *structpb.Value_ListValue:
		return e.structList(k.ListValue.GetValues(), indent, dash)
	case *structpb.Value_StringValue:
		e.sep(dash)
		e.b, err = appendString(e.b, k.StringValue)
	case *structpb.Value_NumberValue:
		e.sep(dash)
		e.b, err = appendFloat(e.b, k.NumberValue, 64)
	case *structpb.Value_BoolValue:
		e.sep(dash)
		e.b = strconv.AppendBool(e.b, k.BoolValue)
	default: // null or unset
		e.sep(dash)
		e.b = append(e.b, "null"...)
	}
	e.b = append(e.b, '\n')
	return err
}

// appendString appends s as a YAML scalar: plain when every YAML 1.1 reader
// takes it for this string, double-quoted otherwise.
func appendString(b []byte, s string) ([]byte, error) {
	if plainSafe(s) {
		return append(b, s...), nil
	}
	if !utf8.ValidString(s) {
		return b, unsupported("invalid UTF-8 in %q", s)
	}
	return appendQuoted(b, s), nil
}

// plainSafe reports whether s can be written as a plain scalar: it starts
// with a letter, digit, '/' or '_', holds only letters, digits and ". _ / -"
// (and ':' not followed by a space or the end), and does not read as a
// number, boolean or null in YAML 1.1.
func plainSafe(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	if !(isAlnum(c) || c == '/' || c == '_') {
		return false
	}
	numeric := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlnum(c) || c == '.' || c == '_' || c == '/' || c == '-':
		case c == ':' && i+1 < len(s) && s[i+1] != ' ':
		default:
			return false
		}
		if numeric && !isNumberByte(c) {
			numeric = false
		}
	}
	if isDigit(s[0]) && numeric {
		return false
	}
	if len(s) <= 5 {
		switch lower5(s) {
		case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
			return false
		}
	}
	return true
}

func lower5(s string) string {
	var buf [5]byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return string(buf[:len(s)])
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// isNumberByte reports whether c can occur in a YAML 1.1 int or float
// (decimal, hex, octal, binary, sexagesimal, exponent, "_" separators).
func isNumberByte(c byte) bool {
	switch {
	case isDigit(c), 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		return true
	}
	switch c {
	case '.', '_', ':', '+', '-', 'x', 'X', 'o', 'O':
		return true
	}
	return false
}

const hexDigits = "0123456789abcdef"

// appendQuoted appends s (valid UTF-8) as a YAML double-quoted scalar.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			i++
			continue
		}
		if c >= 0x80 {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r >= 0xa0 && r != 0x2028 && r != 0x2029 && r != 0xfeff && r != 0xfffe && r != 0xffff {
				i += size
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, `\u`...)
			b = append(b, hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\t':
			b = append(b, `\t`...)
		case '\r':
			b = append(b, `\r`...)
		default:
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

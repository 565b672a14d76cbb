package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/internal/golden"
	"github.com/drawbridge-go/drawbridge/route"
)

// runCheck runs the command and returns its exit status and outputs.
func runCheck(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// findingsOf returns the findings of a -json run.
func findingsOf(t *testing.T, args ...string) (int, *report) {
	t.Helper()
	code, out, errOut := runCheck(t, append(args, "-json")...)
	var rep report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("edgecheck %q: output is not JSON: %v\n%s%s", args, err, out, errOut)
	}
	return code, &rep
}

// wantFindings checks the findings, in order, against
// "severity|where|detail" substrings.
func wantFindings(t *testing.T, got []finding, want []string) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		sev, rest, _ := strings.Cut(want[i], "|")
		where, detail, _ := strings.Cut(rest, "|")
		f := got[i]
		ok = f.Severity == sev && strings.Contains(strings.Join(f.Where, ", "), where) && strings.Contains(f.Detail, detail) &&
			(f.Severity != "error" || f.Fix != "")
	}
	if !ok {
		var lines []string
		for _, f := range got {
			lines = append(lines, f.Severity+"|"+strings.Join(f.Where, ", ")+"|"+f.Detail)
		}
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// TestSeeds runs the command on the seed configurations: each gives the
// findings its document's own troubles describe, with the lines of both
// files, and the table is the golden one.
func TestSeeds(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{
			// PROXY v2 from a tcp-mode HAProxy to a gateway told to trust
			// two X-Forwarded-For hops nobody appends, with an
			// EnvoyFilter whose MERGE leaves two tls_inspectors. The
			// document leaves out the users' own Gateway for the hosts;
			// seed-001-gateway.yaml is it.
			"seed-001",
			[]string{"-haproxy", "testdata/seed-001.cfg", "-istio", "testdata/seed-001-proxy-protocol.yaml,testdata/seed-001-gateway.yaml"},
			[]string{
				"error|seed-001.cfg:32, Gateway istio-system/web server http (testdata/seed-001-gateway.yaml:3), IstioOperator (testdata/seed-001-proxy-protocol.yaml:3)|trusts 2 X-Forwarded-For hops on port 80 but the edge appends no X-Forwarded-For",
				"error|seed-001.cfg:43, Gateway istio-system/web server https (testdata/seed-001-gateway.yaml:3), IstioOperator|trusts 2 X-Forwarded-For hops on port 443 but the edge passes TLS through",
				"warning|seed-001.cfg:32|PROXY header and numTrustedProxies 2: Istio then ignores the PROXY client address",
				"warning|seed-001.cfg:43|PROXY header and numTrustedProxies 2: Istio then ignores the PROXY client address",
				"warning|seed-001.cfg:43, Gateway istio-system/web server https (testdata/seed-001-gateway.yaml:3), EnvoyFilter istio-system/proxy-protocol (testdata/seed-001-proxy-protocol.yaml:11)|envoy.filters.listener.tls_inspector is listed twice",
			},
		},
		{
			// SNI split with ACME on :80 and no Istio objects: the
			// challenge for nsg.cc, whose TLS the edge ends, goes to
			// the gateway; nsg.cc is re-encrypted to the gateway
			// without sni or check-sni.
			"seed-c",
			[]string{"-haproxy", "testdata/seed-c.cfg"},
			[]string{
				`error|seed-c.cfg:54, testdata/seed-c.cfg:36|the ACME HTTP-01 challenge for "nsg.cc" goes to the gateway (10.0.0.10:80), but TLS for "nsg.cc" ends at the edge`,
				"error|seed-c.cfg:50|re-encrypts to the gateway (10.0.0.10:443) without SNI",
				"error|seed-c.cfg:50|health check reaches the gateway (10.0.0.10:443) with a TLS handshake without SNI",
				"warning|seed-c.cfg:50|does not verify the gateway's certificate",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, rep := findingsOf(t, tc.args...)
			if code != 1 {
				t.Errorf("exit status %d; want 1", code)
			}
			wantFindings(t, rep.Findings, tc.want)

			code, out, errOut := runCheck(t, tc.args...)
			if code != 1 || errOut != "" {
				t.Errorf("exit status %d, stderr %q; want 1 and nothing", code, errOut)
			}
			gold := filepath.Join("testdata", "golden", tc.name+".txtar")
			golden.Check(t, gold, "stdout", []byte(out))
			// The JSON's field names are documented: pin them.
			_, js, _ := runCheck(t, append(tc.args, "-json")...)
			golden.Check(t, gold, "json", []byte(js))
		})
	}
}

// TestGeneratedScenarios runs the command on the files edgegen writes for
// the five scenarios: none has an error-level finding.
func TestGeneratedScenarios(t *testing.T) {
	for _, name := range []string{"http-reencrypt", "passthrough-proxy", "sni-split", "gateway-basics", "gateway-egress-proxy"} {
		t.Run(name, func(t *testing.T) {
			gold, err := filepath.Abs(filepath.Join("testdata", "golden", name+".txtar"))
			if err != nil {
				t.Fatal(err)
			}
			a := golden.Load(t, filepath.Join("..", "edgegen", "testdata", name+".txtar"))
			dir := t.TempDir()
			var args, istio []string
			for _, f := range a.Files {
				if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
				switch f.Name {
				case "haproxy.cfg":
					args = append(args, "-haproxy", f.Name)
				case "istio.yaml", "certificates.yaml":
					// The Certificates are read and skipped, as a
					// user who checks every file edgegen wrote sees.
					istio = append(istio, f.Name)
				case "gateway-values.yaml":
					args = append(args, "-gateway-values", f.Name)
				}
			}
			if len(istio) > 0 {
				args = append(args, "-istio", strings.Join(istio, ","))
			}
			// The gateway's addresses, as a user who runs the edge knows
			// them (the guess is tested on the seeds).
			src, err := os.ReadFile(filepath.Join("..", "edgegen", "testdata", name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			c, err := route.Parse(src)
			if err != nil {
				t.Fatal(err)
			}
			if c.Gateway != nil && len(c.Gateway.Addresses) > 0 {
				args = append(args, "-gateway-addr", strings.Join(c.Gateway.Addresses, ","))
			}
			t.Chdir(dir)
			code, out, errOut := runCheck(t, args...)
			if code != 0 || errOut != "" {
				t.Errorf("edgecheck %q: exit status %d, stderr %q; want 0:\n%s", args, code, errOut, out)
			}
			golden.Check(t, gold, "stdout", []byte(out))
			_, rep := findingsOf(t, args...)
			if rep.Errors != 0 || len(rep.Journeys) == 0 {
				t.Errorf("edgecheck %q: %d errors, %d journeys; want none and some", args, rep.Errors, len(rep.Journeys))
			}
		})
	}
}

// TestMaps traces the hosts of the map files a configuration looks up.
func TestMaps(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("haproxy.cfg", `defaults
    mode tcp
    timeout connect 5s
    timeout client 50s
    timeout server 50s

frontend fe_tls
    bind *:443
    tcp-request inspect-delay 2s
    tcp-request content accept if { req.ssl_hello_type 1 }
    use_backend %[req.ssl_sni,lower,map_str(/etc/haproxy/maps/hosts.map)] if { req.ssl_sni,lower,map_str(/etc/haproxy/maps/hosts.map) -m found }
    use_backend gw if { req.ssl_sni,lower,map_end(/etc/haproxy/maps/wild.map) -m found }
    default_backend gw

backend gw
    server gw1 10.0.0.10:443 check
`)
	write("hosts.map", "a.example.com gw\nb.example.com gw\n")
	write("wild.map", ".zone.example.com gw\n")
	_, rep := findingsOf(t, "-haproxy", filepath.Join(dir, "haproxy.cfg"), "-maps", dir)
	var got []string
	for _, j := range rep.Journeys {
		got = append(got, j.Host+" "+j.Pattern+" "+j.Source+" "+j.Client+" "+j.Backend)
	}
	want := []string{
		"a.example.com  map tls gw",
		"b.example.com  map tls gw",
		"probe.zone.example.com *.zone.example.com map tls gw",
		"edgecheck.invalid  probe tls gw",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("journeys:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(rep.GatewayAddresses) != 1 || rep.GatewayAddresses[0] != "10.0.0.10" || !rep.GatewayAddressesGuessed {
		t.Errorf("gateway addresses %q (guessed %v); want [10.0.0.10], guessed", rep.GatewayAddresses, rep.GatewayAddressesGuessed)
	}
}

// TestErrors runs the command on files that do not read: the message
// names the file and line, and the exit status is 1 (2 for bad flags).
func TestErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.cfg")
	if err := os.WriteFile(bad, []byte("global\n    maxconn 10\nfrontend f\n    bind \"*:80\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badYAML := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badYAML, []byte("# objects\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: a}\nspec: {}\n---\n\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: b}\nspec: {servers: 3}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-haproxy", bad}, 1, "bad.cfg:4"},
		{[]string{"-istio", badYAML}, 1, "bad.yaml:8: istiocfg"},
		{[]string{"-haproxy", filepath.Join(dir, "missing.cfg")}, 1, "missing.cfg"},
		{[]string{}, 2, "nothing to check"},
		{[]string{"-gateway-labels", "istio"}, 2, "not key=value"},
		{[]string{"-haproxy", bad, "extra"}, 2, "unexpected argument"},
	} {
		code, out, errOut := runCheck(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("edgecheck %q: exit %d, stderr %q, stdout %q; want %d and %q", tc.args, code, errOut, out, tc.code, tc.want)
		}
	}
}

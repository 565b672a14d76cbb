// Package haproxycfg is a typed model of haproxy.cfg (HAProxy 2.6) with a
// writer that quotes every value for the context it is used in, and a
// compiler from drawbridge's [route.Config] to the edge tier.
//
// # The model
//
// A [Config] holds a [Global] section, [Resolvers], [Defaults] and
// [Proxy] sections (frontend, backend, listen). Binds, servers, ACLs,
// conditions, tcp-request and http-request rules, use_backend rules and
// health checks are typed values ([Bind], [Server], [ACL], [Cond],
// [TCPRule], [HTTPRule], [UseBackend], [HTTPCheck]). Sample expressions are
// [Sample] values, log-format strings are [LogFormat] values whose literal
// text is never read as an expression. The only free-form lines are the
// [Verbatim] ones [Parse] keeps.
//
// # Reading
//
// [Parse] reads an existing haproxy.cfg, tokenized as HAProxy 2.6 does,
// into the same model, with the line of each section and directive. What
// the model does not express (options it does not know, "$VAR" expansions
// in plain values, conditional blocks, sections such as peers or userlist)
// stays as [Verbatim] lines and [VerbatimSection] values in place, so that
// the configuration writes back equivalent. [ParseMap] reads a map file.
// Their errors are [*Error] values with the file, line and column.
//
// # Writing
//
// [Config.AppendText] (and [Config.WriteTo], [Config.MarshalText]) render
// the configuration deterministically, one directive a line, in HAProxy's
// evaluation order. Values are quoted only by the writer, one function per
// context:
//
//   - plain words are written bare when safe, else in double quotes with
//     '\\', '"' and '$' escaped and control bytes as \xNN, so that a value
//     can neither end the line, start a comment, split into two words nor
//     expand an environment variable;
//   - certificate paths ([Bind.Crt]) keep "$VAR" for HAProxy to expand;
//   - log-format text doubles '%';
//   - ACL patterns are preceded by "--" when one starts with '-';
//   - sample-fetch arguments are limited to a safe alphabet.
//
// [Config.Validate] reports what cannot be written faithfully (invalid
// names, empty values, control bytes, lines over [MaxWords] words, dangling
// references) as one [*ValidationError] listing [*Error] values with their
// lines; the writer refuses the same configurations. [Config.Lint] adds warnings for what HAProxy accepts but
// is probably wrong ("verify none", SNI routing without inspect-delay, HTTP
// fetches in tcp mode, checks without check-sni).
//
// [MapFile] writes map_str/map_end files: sorted, lowercase keys.
//
// # Compiling from route
//
// [Compile] plans a [route.Config] ([route.Config.Plan]) and writes the edge
// side of the plan; [Compiler.CompilePlan] takes a plan already made. Every
// decision (where TLS ends, the pool each route goes to, SNI, Host, PROXY,
// the health check of each pool) is the plan's:
//
//   - HTTP and HTTPS listeners become mode http frontends routing on
//     req.hdr(host),host_only,lower: exact hosts (inline, or in a map_str
//     file past [Compiler.MaxInlineHosts]), then wildcards as "-m end
//     .suffix" longest first, then "*"; path prefixes longest first;
//   - TLS listeners become mode tcp frontends that wait for the ClientHello
//     (tcp-request inspect-delay and "accept if { req.ssl_hello_type 1 }")
//     and route on req.ssl_sni,lower the same way (never -m dom or map_dom,
//     which would match "kube.example.com.evil.org"); routes the edge
//     terminates loop through an abns@ socket with send-proxy-v2 into a
//     local frontend with accept-proxy and the listener's certificates;
//     a name no route matches is refused;
//   - TCP listeners forward the port;
//   - each [route.Pool] becomes a backend: the gateway's addresses on the
//     pool's gateway port, with send-proxy-v2 exactly when the gateway
//     accepts it; TLS originated to it sends the gateway host as SNI and
//     Host (or the request's Host), and checks with check-sni;
//   - host names as server addresses get a resolvers section with
//     parse-resolv-conf and "init-addr none";
//   - redirects, ACME challenge paths (ordinary path-prefix routes) and the
//     statistics page ([StatsFrontend]).
//
// Configurations without an edge tier return [ErrNoEdge]: there is no
// HAProxy to configure (scenarios 4 and 5 are the gateway's alone).
//
// # Generated names and choices
//
// Frontends are fe_<listener> (fe_<listener>_local for the TLS-terminating
// loop of a TLS listener) and stats. Backends are gw_tcp_<port> and
// gw_http_<port> (the gateway, shared by routes), rt_<route> (one route's
// own: TLS origination with its SNI, a Host rewrite, set headers),
// be_<backend> (static servers), loop_<listener>, rd_<route> (a redirect) and
// redirect_https. Map files are <config>-<frontend>.map.
//
// Servers that receive the PROXY protocol also get check-send-proxy, so that
// health checks pass a listener that requires the header, unless the check
// goes to another port ("port", such as the gateway's readiness endpoint on
// 15021). TLS toward a server with neither a CA file nor insecureSkipVerify
// is verified against the system's CAs (ca-file @system-ca). The SNI and
// Host of each check are the plan's ([route.Check]): a name the gateway
// serves with the same server as the pool's traffic.
//
// Usage:
//
//	res, err := haproxycfg.Compiler{MapDir: "/etc/haproxy/maps"}.Compile(cfg)
//	if err != nil { ... }
//	for _, m := range res.Maps { ... write m into MapDir ... }
//	_, err = res.Config.WriteTo(os.Stdout)
//
// # Examples
//
// ExampleCompile compiles a route configuration into a haproxy.cfg and
// ExampleCompiler_maps shows exact hosts moved into a map_str file.
// ExampleConfig_AppendText builds a configuration from typed values,
// ExampleConfig_Validate shows the line an invalid value is reported on,
// and ExampleParse and ExampleParseMap read existing files.
package haproxycfg

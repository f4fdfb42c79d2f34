package loadgen

import (
	"fmt"
	"strings"
)

// HAProxyConfig is a TCP (TLS passthrough) load balancer on front over servers, each checked
// with GET /healthz over TLS every 200 ms (down after 2 failures); a connection that cannot
// reach its server is sent to another (retries, redispatch). balance is HAProxy's: roundrobin,
// or first (every connection to the first server up).
func HAProxyConfig(front string, servers []string, balance string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `global
	maxconn 2048
defaults
	mode tcp
	timeout connect 2s
	timeout client 120s
	timeout server 120s
	retries 3
	option redispatch
frontend central
	bind %s
	default_backend servers
backend servers
	balance %s
	option httpchk GET /healthz
	http-check expect status 200
	default-server check check-ssl verify none inter 200ms fall 2 rise 2 maxconn 500
`, front, balance)
	for i, s := range servers {
		fmt.Fprintf(&b, "\tserver s%d %s\n", i+1, s)
	}
	return b.String()
}

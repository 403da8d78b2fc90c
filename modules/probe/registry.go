package probe

// kinds is the registry of check kinds, keyed by Kind.Name. Adding a kind
// is one file (its settings struct with Validate, Target and Run, and a
// Kind value describing it) plus its row here; see the package doc.
var kinds = map[string]Kind{
	"http":      httpKind,
	"tcp":       tcpKind,
	"dns":       dnsKind,
	"icmp":      icmpKind,
	"tls":       tlsKind,
	"domain":    domainKind,
	"heartbeat": heartbeatKind,
}

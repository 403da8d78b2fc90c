package probe

import "strings"

// RDAPBootstrapKey is the Env.Shared key of an optional RDAP bootstrap
// override: a map[string]string from TLD (lower case, no dot: "com") to
// RDAP base URL ending in "/". Its entries replace rdapBootstrap's; an empty
// URL removes a TLD. Whoever builds the Env stores it before the first
// check:
//
//	env.Shared(probe.RDAPBootstrapKey, func() any { return map[string]string{"example": "https://rdap.example/"} })
const RDAPBootstrapKey = "rdap.bootstrap"

// rdapBootstrap maps a TLD to the base URL of its registry's RDAP service.
// It is our own table, written from what we know of the registries, not a
// copy of IANA's bootstrap file (https://data.iana.org/rdap/dns.json, RFC
// 9224), which cannot be fetched at run time everywhere BetterStack runs.
// It covers well-known TLDs only and an entry can go stale when a registry
// moves: a monitor's rdap_server setting, or RDAPBootstrapKey for a whole
// Env, overrides it.
var rdapBootstrap = map[string]string{
	// Verisign
	"com": "https://rdap.verisign.com/com/v1/",
	"net": "https://rdap.verisign.com/net/v1/",

	// Public Interest Registry
	"org": "https://rdap.publicinterestregistry.org/rdap/",

	// Identity Digital (formerly Afilias and Donuts)
	"info":      rdapIdentityDigital,
	"io":        rdapIdentityDigital,
	"me":        rdapIdentityDigital,
	"mobi":      rdapIdentityDigital,
	"pro":       rdapIdentityDigital,
	"agency":    rdapIdentityDigital,
	"center":    rdapIdentityDigital,
	"company":   rdapIdentityDigital,
	"digital":   rdapIdentityDigital,
	"email":     rdapIdentityDigital,
	"group":     rdapIdentityDigital,
	"life":      rdapIdentityDigital,
	"live":      rdapIdentityDigital,
	"media":     rdapIdentityDigital,
	"network":   rdapIdentityDigital,
	"news":      rdapIdentityDigital,
	"services":  rdapIdentityDigital,
	"software":  rdapIdentityDigital,
	"solutions": rdapIdentityDigital,
	"studio":    rdapIdentityDigital,
	"support":   rdapIdentityDigital,
	"systems":   rdapIdentityDigital,
	"team":      rdapIdentityDigital,
	"today":     rdapIdentityDigital,
	"tools":     rdapIdentityDigital,
	"world":     rdapIdentityDigital,
	"zone":      rdapIdentityDigital,

	// Google Registry
	"app":     rdapGoogle,
	"boo":     rdapGoogle,
	"channel": rdapGoogle,
	"dad":     rdapGoogle,
	"day":     rdapGoogle,
	"dev":     rdapGoogle,
	"esq":     rdapGoogle,
	"foo":     rdapGoogle,
	"how":     rdapGoogle,
	"meme":    rdapGoogle,
	"mov":     rdapGoogle,
	"new":     rdapGoogle,
	"nexus":   rdapGoogle,
	"page":    rdapGoogle,
	"phd":     rdapGoogle,
	"prof":    rdapGoogle,
	"rsvp":    rdapGoogle,
	"zip":     rdapGoogle,

	// CentralNic (one path per TLD)
	"fun":     "https://rdap.centralnic.com/fun/",
	"host":    "https://rdap.centralnic.com/host/",
	"online":  "https://rdap.centralnic.com/online/",
	"press":   "https://rdap.centralnic.com/press/",
	"site":    "https://rdap.centralnic.com/site/",
	"space":   "https://rdap.centralnic.com/space/",
	"store":   "https://rdap.centralnic.com/store/",
	"tech":    "https://rdap.centralnic.com/tech/",
	"website": "https://rdap.centralnic.com/website/",
	"xyz":     "https://rdap.centralnic.com/xyz/",

	// Country codes whose registries publish RDAP
	"br": "https://rdap.registro.br/",
	"cz": "https://rdap.nic.cz/",
	"fr": "https://rdap.nic.fr/",
	"nl": "https://rdap.sidn.nl/",
	"no": "https://rdap.norid.no/",
	"uk": "https://rdap.nominet.uk/uk/",
}

// Base URLs shared by many TLDs.
const (
	rdapIdentityDigital = "https://rdap.identitydigital.services/rdap/"
	rdapGoogle          = "https://pubapi.registry.google/rdap/"
)

// rdapBaseFor returns the RDAP base URL for tld, looking in override
// first; ok is false when neither knows the TLD.
func rdapBaseFor(tld string, override map[string]string) (base string, ok bool) {
	tld = strings.ToLower(tld)
	if base, ok := override[tld]; ok {
		return base, base != ""
	}
	base, ok = rdapBootstrap[tld]
	return base, ok
}

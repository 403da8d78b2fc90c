package probe

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
)

// Defaults applied by New when a Config field is left at its zero value.
const (
	DefaultUserAgent    = "BetterStack/1.0 (+uptime check)"
	DefaultMaxBodyBytes = 1 << 20 // 1 MiB
)

// Config holds the settings of a Prober.
type Config struct {
	// BlockPrivate refuses connections to loopback, private, link-local,
	// CGNAT, multicast and unspecified addresses. The check is made on the
	// resolved address at dial time, so it also covers redirects and DNS
	// rebinding. Turn it on wherever users other than the operator can
	// create monitors.
	BlockPrivate bool `yaml:"block_private"`
	// UserAgent is sent unless the check's own headers set one; empty
	// means DefaultUserAgent.
	UserAgent string `yaml:"user_agent"`
	// MaxBodyBytes caps how much of a response body is read and searched
	// for a keyword; 0 means DefaultMaxBodyBytes. Reaching the cap is not
	// an error.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// RootCAs verifies server certificates; nil means the system roots.
	// It is set in code (tests, private CAs), never from a file.
	RootCAs *x509.CertPool `yaml:"-"`
}

// Validate reports the first invalid setting, naming its key.
func (c Config) Validate() error {
	if c.MaxBodyBytes < 0 {
		return fmt.Errorf("probe.max_body_bytes: must not be negative, got %d", c.MaxBodyBytes)
	}
	if strings.ContainsAny(c.UserAgent, "\r\n") {
		return errors.New("probe.user_agent: must be a single line")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return c
}

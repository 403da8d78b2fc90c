package probe

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestDialAddr: a check dials the name's ASCII form on the scheme's port
// unless the URL names one, and sends that form as SNI.
func TestDialAddr(t *testing.T) {
	tests := []struct {
		url, addr, host, err string
	}{
		{url: "http://example.com/", addr: "example.com:80", host: "example.com"},
		{url: "https://example.com/", addr: "example.com:443", host: "example.com"},
		{url: "https://example.com:8443/x", addr: "example.com:8443", host: "example.com"},
		{url: "http://bücher.example/", addr: "xn--bcher-kva.example:80", host: "xn--bcher-kva.example"},
		{url: "https://[::1]/", addr: "[::1]:443", host: "::1"},
		{url: "ftp://example.com/", err: `unsupported protocol scheme "ftp"`},
		{url: "http:///path", err: "no Host"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		addr, host, err := dialAddr(&http.Request{URL: u})
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.url, err, tt.err)
			}
			continue
		}
		if err != nil || addr != tt.addr || host != tt.host {
			t.Errorf("%s: %q %q %v, want %q %q", tt.url, addr, host, err, tt.addr, tt.host)
		}
	}
}

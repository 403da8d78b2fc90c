package sso_test

import (
	"strings"
	"testing"

	"github.com/betterstack/betterstack/modules/sso"
)

func TestConfigValidate(t *testing.T) {
	valid := func() sso.Config {
		return sso.Config{
			Issuer:         "https://accounts.example.com",
			ClientID:       "betterstack",
			ClientSecret:   "s3cret",
			RedirectURL:    "https://status.example.com/login/sso/callback",
			AllowedDomains: []string{"example.com", "EU.Example.com"},
		}
	}
	tests := []struct {
		name string
		edit func(*sso.Config)
		want string // a substring of the error, "" for valid
	}{
		{"valid", func(*sso.Config) {}, ""},
		{"http on 127.0.0.1", func(c *sso.Config) { c.Issuer = "http://127.0.0.1:5556/dex" }, ""},
		{"http on localhost", func(c *sso.Config) { c.RedirectURL = "http://localhost:8080/cb" }, ""},
		{"no issuer", func(c *sso.Config) { c.Issuer = "" }, "sso_issuer must be an https URL (http only for 127.0.0.1/localhost)"},
		{"http issuer elsewhere", func(c *sso.Config) { c.Issuer = "http://accounts.example.com" }, "sso_issuer must be an https URL"},
		{"relative issuer", func(c *sso.Config) { c.Issuer = "accounts.example.com" }, "sso_issuer must be an https URL"},
		{"issuer with a query", func(c *sso.Config) { c.Issuer = "https://accounts.example.com/?tenant=1" }, "sso_issuer must have no query"},
		{"no client id", func(c *sso.Config) { c.ClientID = " " }, "sso_client_id is required"},
		{"no client secret", func(c *sso.Config) { c.ClientSecret = "" }, "sso_client_secret is required"},
		{"http redirect elsewhere", func(c *sso.Config) { c.RedirectURL = "http://status.example.com/cb" }, "public_url must be an https URL"},
		{"redirect with a fragment", func(c *sso.Config) { c.RedirectURL = "https://status.example.com/cb#x" }, "public_url must have no fragment"},
		{"wildcard domain", func(c *sso.Config) { c.AllowedDomains = []string{"*.example.com"} }, `sso_allowed_domains: "*.example.com" is not a domain name`},
		{"domain with @", func(c *sso.Config) { c.AllowedDomains = []string{"@example.com"} }, `sso_allowed_domains: "@example.com"`},
		{"domain with a leading dot", func(c *sso.Config) { c.AllowedDomains = []string{".example.com"} }, `sso_allowed_domains: ".example.com"`},
		{"empty domain", func(c *sso.Config) { c.AllowedDomains = []string{""} }, `sso_allowed_domains: ""`},
		{"scope with a space", func(c *sso.Config) { c.Scopes = []string{"openid email"} }, `sso_scopes: "openid email" is not a scope`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.edit(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestNewRefusesShortCookieKey(t *testing.T) {
	cfg := sso.Config{Issuer: "https://a.example.com", ClientID: "c", ClientSecret: "s", RedirectURL: "https://b.example.com/cb"}
	if _, err := sso.New(cfg, []byte("short"), nil, nil); err == nil || !strings.Contains(err.Error(), "at least 32 bytes") {
		t.Errorf("New with a 5-byte key = %v, want an error asking for 32 bytes", err)
	}
	if _, err := sso.New(cfg, cookieKey, nil, nil); err != nil {
		t.Errorf("New with a 32-byte key = %v", err)
	}
	cfg.Issuer = ""
	if _, err := sso.New(cfg, cookieKey, nil, nil); err == nil || !strings.Contains(err.Error(), "sso_issuer") {
		t.Errorf("New with no issuer = %v, want the validation error", err)
	}
}

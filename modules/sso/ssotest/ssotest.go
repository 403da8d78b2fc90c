// Package ssotest runs a small but real OpenID Connect provider for tests:
// discovery, a JWKS with an RSA key made at start, an authorize endpoint
// that approves at once as the configured user, and a token endpoint that
// checks the client, the redirect URI and the PKCE verifier before it
// returns an RS256 ID token. Options make it misbehave in one way each, so
// tests can see every refusal of package sso.
//
// From another package's test (browser or plain HTTP):
//
//	idp := ssotest.Start(t, ssotest.WithUser(ssotest.User{
//		Subject: "u1", Email: "alice@example.com", EmailVerified: true}))
//	app := startApp(t, idp.Config(appURL+"/login/sso/callback"))
//	// A browser, or an http.Client with a cookie jar, that opens the app's
//	// SSO link is sent to the provider and straight back to the callback.
//
// Everything listens on 127.0.0.1 and stops when the test ends.
package ssotest

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/sso"
)

// User is who the provider signs in.
type User struct {
	Subject       string
	Email         string
	Name          string
	EmailVerified bool
}

// The client and the verified user the provider has unless options say
// otherwise.
const (
	DefaultClientID     = "betterstack"
	DefaultClientSecret = "ssotest-secret"
	DefaultSubject      = "user-1"
	DefaultEmail        = "alice@example.com"
	DefaultName         = "Alice"
)

// settings are what options change.
type settings struct {
	clientID, clientSecret string
	redirectURIs           []string
	user                   User
	omitEmailVerified      bool
	now                    func() time.Time
	deny                   string
	wrongAudience          bool
	expired                bool
	wrongNonce             bool
	wrongIssuer            bool
	foreignKey             bool
}

// Option changes how the provider behaves.
type Option func(*settings)

// WithClient sets the only client the provider knows.
func WithClient(id, secret string) Option {
	return func(s *settings) { s.clientID, s.clientSecret = id, secret }
}

// WithRedirectURIs registers the client's redirect URIs. Without it any
// http URI on 127.0.0.1 or localhost is accepted.
func WithRedirectURIs(uris ...string) Option {
	return func(s *settings) { s.redirectURIs = uris }
}

// WithUser sets who signs in.
func WithUser(u User) Option { return func(s *settings) { s.user = u } }

// WithNow sets the provider's clock for iat and exp (default time.Now).
func WithNow(now func() time.Time) Option { return func(s *settings) { s.now = now } }

// WithDenial makes the authorize endpoint answer with this OAuth error
// (such as "access_denied") instead of a code.
func WithDenial(code string) Option { return func(s *settings) { s.deny = code } }

// WithWrongAudience issues ID tokens for another client.
func WithWrongAudience() Option { return func(s *settings) { s.wrongAudience = true } }

// WithExpiredToken issues ID tokens whose exp is a minute in the past.
func WithExpiredToken() Option { return func(s *settings) { s.expired = true } }

// WithWrongNonce issues ID tokens with a nonce other than the one asked for.
func WithWrongNonce() Option { return func(s *settings) { s.wrongNonce = true } }

// WithWrongIssuer issues ID tokens naming another issuer than discovery.
func WithWrongIssuer() Option { return func(s *settings) { s.wrongIssuer = true } }

// WithForeignKey signs ID tokens with a key that is not in the JWKS (under
// the published key id, as a forger would).
func WithForeignKey() Option { return func(s *settings) { s.foreignKey = true } }

// WithUnverifiedEmail sends email_verified false.
func WithUnverifiedEmail() Option { return func(s *settings) { s.user.EmailVerified = false } }

// WithoutEmailVerified leaves the email_verified claim out.
func WithoutEmailVerified() Option { return func(s *settings) { s.omitEmailVerified = true } }

// Provider is a running test provider.
type Provider struct {
	// URL is the issuer URL, such as http://127.0.0.1:41234.
	URL string

	srv     *httptest.Server
	key     *rsa.PrivateKey
	foreign *rsa.PrivateKey

	mu    sync.Mutex
	set   settings
	codes map[string]*grant
	down  bool
}

// Start runs a provider until the test ends.
func Start(t testing.TB, opts ...Option) *Provider {
	t.Helper()
	set := settings{clientID: DefaultClientID, clientSecret: DefaultClientSecret, now: time.Now,
		user: User{Subject: DefaultSubject, Email: DefaultEmail, Name: DefaultName, EmailVerified: true}}
	for _, o := range opts {
		o(&set)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("ssotest: generate key: %v", err)
	}
	p := &Provider{key: key, set: set, codes: map[string]*grant{}}
	if set.foreignKey {
		if p.foreign, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatalf("ssotest: generate key: %v", err)
		}
	}
	// httptest listens on 127.0.0.1 (or [::1] where IPv4 is missing).
	p.srv = httptest.NewServer(p.routes())
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// ClientID returns the client id the provider accepts.
func (p *Provider) ClientID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.set.clientID
}

// ClientSecret returns the client secret the provider accepts.
func (p *Provider) ClientSecret() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.set.clientSecret
}

// Config returns sso settings for this provider's client.
func (p *Provider) Config(redirectURL string) sso.Config {
	return sso.Config{Issuer: p.URL, ClientID: p.ClientID(), ClientSecret: p.ClientSecret(), RedirectURL: redirectURL}
}

// SetUser changes who signs in from the next authorization on.
func (p *Provider) SetUser(u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.set.user = u
}

// SetDown makes every endpoint answer 503 while down is true, as a provider
// in an outage would.
func (p *Provider) SetDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
}

func (p *Provider) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			http.Error(w, "ssotest: provider is down", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

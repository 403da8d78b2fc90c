package sso

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// discoveryTimeout bounds one attempt at reading the discovery document, so
// a hung provider delays a sign-in by seconds, not by the client's timeout.
const discoveryTimeout = 10 * time.Second

// Provider signs people in with one OpenID Connect provider. It is safe for
// concurrent use.
type Provider struct {
	cfg        Config
	scopes     []string
	domains    []string
	sealer     sealer
	client     *http.Client
	now        func() time.Time
	cookiePath string
	secure     bool // the redirect URL is https

	mu   sync.Mutex // guards disc; held during discovery
	disc *discovered
}

// discovered is what the discovery document yields.
type discovered struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier // every check
	sigOnly  *oidc.IDTokenVerifier // the signature only, to label refusals
}

// New returns a Provider for cfg. It does no network I/O: discovery happens
// on the first sign-in (or Discover) and is retried until it succeeds.
// cookieKey seals the login cookie and must be at least 32 bytes; every
// process serving the same site needs the same key. httpClient makes every
// request to the provider (nil: a client with a 10s timeout); now is the
// clock for token expiry and the login cookie (nil: time.Now).
//
// Discovery runs under the context of the request that needs it, so New
// takes no context.
func New(cfg Config, cookieKey []byte, httpClient *http.Client, now func() time.Time) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s, err := newSealer(cookieKey)
	if err != nil {
		return nil, err
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 10 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	scopes := slices.Clone(cfg.Scopes)
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "email", "profile"}
	} else if !slices.Contains(scopes, oidc.ScopeOpenID) {
		scopes = append([]string{oidc.ScopeOpenID}, scopes...)
	}
	domains := make([]string, len(cfg.AllowedDomains))
	for i, d := range cfg.AllowedDomains {
		domains[i] = strings.ToLower(d)
	}
	redirect, err := url.Parse(cfg.RedirectURL) // Validate parsed it already
	if err != nil {
		return nil, err
	}
	path := redirect.EscapedPath()
	if path == "" {
		path = "/"
	}
	return &Provider{
		cfg:        cfg,
		scopes:     scopes,
		domains:    domains,
		sealer:     s,
		client:     httpClient,
		now:        now,
		cookiePath: path,
		secure:     redirect.Scheme == "https",
	}, nil
}

// Discover reads the provider's discovery document unless it already has.
// Start and Finish call it; the composition root may call it at start to
// report a misconfigured or unreachable provider early (and carry on).
func (p *Provider) Discover(ctx context.Context) error {
	_, err := p.discover(ctx)
	return err
}

func (p *Provider) discover(ctx context.Context) (*discovered, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.disc != nil {
		return p.disc, nil
	}
	ctx, cancel := context.WithTimeout(ctx, discoveryTimeout)
	defer cancel()
	op, err := oidc.NewProvider(oidc.ClientContext(ctx, p.client), p.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: discovery at %s: %w", ErrProviderUnavailable, p.cfg.Issuer, err)
	}
	var meta struct {
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := op.Claims(&meta); err != nil {
		return nil, fmt.Errorf("%w: discovery at %s: %w", ErrProviderUnavailable, p.cfg.Issuer, err)
	}
	endpoint := op.Endpoint()
	// Auto-detection would send a failed exchange twice; the discovery
	// document says which one the provider takes (basic when it is silent).
	endpoint.AuthStyle = oauth2.AuthStyleInHeader
	if len(meta.AuthMethods) > 0 && !slices.Contains(meta.AuthMethods, "client_secret_basic") &&
		slices.Contains(meta.AuthMethods, "client_secret_post") {
		endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	p.disc = &discovered{
		oauth: oauth2.Config{
			ClientID:     p.cfg.ClientID,
			ClientSecret: p.cfg.ClientSecret,
			Endpoint:     endpoint,
			RedirectURL:  p.cfg.RedirectURL,
			Scopes:       p.scopes,
		},
		verifier: op.Verifier(&oidc.Config{ClientID: p.cfg.ClientID, Now: p.now}),
		sigOnly: op.Verifier(&oidc.Config{
			SkipClientIDCheck: true, SkipExpiryCheck: true, SkipIssuerCheck: true,
		}),
	}
	return p.disc, nil
}

// Start begins a sign-in: it sets the login cookie on w and returns the
// provider URL to redirect the browser to. The request's "next" value (query
// or form) is kept for Finish when it is a safe relative path.
func (p *Provider) Start(w http.ResponseWriter, r *http.Request) (redirectURL string, err error) {
	d, err := p.discover(r.Context())
	if err != nil {
		return "", err
	}
	// rand.Text: 26 base32 characters, 130 random bits.
	l := login{
		State:    rand.Text(),
		Nonce:    rand.Text(),
		Verifier: oauth2.GenerateVerifier(),
		Next:     safeNext(r.FormValue("next")),
		IssuedAt: p.now().Unix(),
	}
	value, err := p.sealer.seal(l)
	if err != nil {
		return "", err
	}
	http.SetCookie(w, p.cookie(r, value, int(loginTTL.Seconds())))
	return d.oauth.AuthCodeURL(l.State, oidc.Nonce(l.Nonce), oauth2.S256ChallengeOption(l.Verifier)), nil
}

func (p *Provider) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     loginCookie,
		Value:    value,
		Path:     p.cookiePath,
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   p.secure || r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	}
}

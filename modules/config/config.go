// Package config holds BetterStack's settings: defaults in code, then a YAML
// file, then BETTERSTACK_* environment variables, then command-line flags.
//
// Every setting has one key. The YAML key is the key itself
// (`database_url`), the environment variable is BETTERSTACK_ plus the key in
// upper case (BETTERSTACK_DATABASE_URL). Unknown YAML keys, unparsable values
// and invalid combinations stop startup with the key named in the message.
//
// This package only reads and validates; cmd/ turns the result into each
// module's own typed Config, so modules never see the whole thing.
package config

import (
	"github.com/betterstack/betterstack/modules/sso"

	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/betterstack/betterstack/modules/key"
	"github.com/betterstack/betterstack/modules/queue"
)

// Config is every setting of a BetterStack process.
type Config struct {
	DataDir  string `key:"data_dir" help:"directory for the embedded SQLite database and generated secrets"`
	HTTPAddr string `key:"http_addr" help:"address the HTTP listener binds (api, dashboard, health, metrics)"`
	// TrustedProxies and MetricsToken: see server.Config.
	TrustedProxies []string `key:"trusted_proxies" help:"addresses or CIDR ranges (comma-separated) of reverse proxies in front of this process: X-Forwarded-For from them names the client that login limits, sessions and the audit log see; empty: the connection's own address"`
	MetricsToken   string   `key:"metrics_token" secret:"true" help:"a bearer token /metrics requires (16+ characters); empty: /metrics answers only loopback and private addresses, and nothing that came through a proxy"`
	LogFormat      string   `key:"log_format" help:"text or json"`
	LogLevel       string   `key:"log_level" help:"debug, info, warn or error"`

	Roles    []string `key:"roles" help:"roles this process runs: api, dashboard, pusher, worker, alerter, or all"`
	Region   string   `key:"region" help:"region of this process's worker"`
	WorkerID string   `key:"worker_id" help:"worker id; defaults to hostname-pid"`

	WorkerSpoolMax          int           `key:"worker_spool_max" help:"results a worker keeps on disk (data_dir/spool/<region>) while Redis is unreachable; when full the oldest are dropped"`
	WorkerOfflineChecksFor  time.Duration `key:"worker_offline_checks_for" help:"how long a worker that cannot reach Redis goes on checking the monitors it knows, spooling the results (0: not at all)"`
	WorkerFallbackWebhook   string        `key:"worker_fallback_webhook" secret:"true" help:"an http(s) URL a worker that cannot reach Redis POSTs a JSON notice to when a monitor it checks is confirmed down, and when it recovers; empty turns fallback notices off"`
	WorkerFallbackSecret    string        `key:"worker_fallback_secret" secret:"true" help:"signs the fallback notices' bodies (BetterStack-Signature, as channel webhooks are signed); optional, at least 16 characters"`
	WorkerFallbackPerMinute int           `key:"worker_fallback_per_minute" help:"the most fallback notices a worker sends in any minute; the rest go out as one summary"`
	WorkerConcurrency       int           `key:"worker_concurrency" help:"checks a worker runs at once; slow targets (each check waiting up to its timeout) need more"`
	PusherAdmitWait         time.Duration `key:"pusher_admit_wait" help:"how late a region's oldest job that no worker has taken may be (past its slot) before the pusher publishes only part of what is due there and skips the rest, so those run on time"`
	PusherIngestWait        time.Duration `key:"pusher_ingest_wait" help:"how long the oldest result not yet stored may wait before the pusher publishes only part of what is due (never less than a tenth) and skips the rest, so the ingest can catch up"`

	DatabaseURL      string `key:"database_url" secret:"true" help:"postgres:// URL selects PostgreSQL; empty selects the embedded SQLite file in data_dir"`
	AutoMigrate      *bool  `key:"auto_migrate" help:"apply pending migrations at start; default true on SQLite, false on PostgreSQL"`
	DatabaseMaxConns int    `key:"database_max_conns" help:"maximum open database connections"`

	RedisURL    string `key:"redis_url" secret:"true" help:"redis://host:6379/0, redis+sentinel://host:26379,host:26379/master[/db] or redis+cluster://host:6379,host:6379 selects Redis Streams; empty selects the in-process queue"`
	RedisPrefix string `key:"redis_prefix" help:"prefix of every Redis key"`

	JWTSecret     string        `key:"jwt_secret" secret:"true" help:"HS256 key for session tokens; required for the api role on PostgreSQL, generated in data_dir otherwise"`
	JWTTTL        time.Duration `key:"jwt_ttl" help:"lifetime of a session token"`
	AllowSignup   *bool         `key:"allow_signup" help:"who may sign up: unset = only the first account (the installation's owner), true = anyone, false = no one; the CLI can always create users"`
	LoginMaxFails int           `key:"login_max_failures" help:"failed logins per account (and twice that per address) within login_window before 429"`
	LoginWindow   time.Duration `key:"login_window" help:"window for counting failed logins"`

	SSOIssuer         string   `key:"sso_issuer" help:"OpenID Connect issuer URL for single sign-on (e.g. https://accounts.example.com); empty turns SSO off"`
	SSOClientID       string   `key:"sso_client_id" help:"the OpenID Connect client id registered for BetterStack"`
	SSOClientSecret   string   `key:"sso_client_secret" secret:"true" help:"the OpenID Connect client secret"`
	SSOAllowedDomains []string `key:"sso_allowed_domains" help:"email domains allowed to log in through SSO (comma-separated; empty = any the provider vouches for)"`
	SSOWorkspace      string   `key:"sso_workspace" help:"key of the workspace a first-time SSO user joins; empty = a personal workspace of their own"`
	SSORole           string   `key:"sso_role" help:"the role a first-time SSO user gets in sso_workspace (admin, editor, responder or viewer)"`

	AuditRetention time.Duration `key:"audit_retention" help:"how long audit log entries are kept (e.g. 365d)"`

	MinInterval         time.Duration `key:"min_interval" help:"the shortest check interval a monitor may have"`
	MaxMonitors         int           `key:"max_monitors_per_account" help:"the most monitors one workspace may have (0: no limit)"`
	MaxChannels         int           `key:"max_channels_per_account" help:"the most notification channels one workspace may have (0: no limit)"`
	MaxStatusPages      int           `key:"max_status_pages_per_account" help:"the most status pages one workspace may have (0: no limit)"`
	MaxAPIRequests      int           `key:"max_api_requests_per_minute" help:"the most API requests one workspace may make per minute (0: no limit)"`
	BlockPrivateTargets *bool         `key:"block_private_targets" help:"refuse checks of private, loopback and link-local addresses; unset = refused exactly when allow_signup is true (strangers may sign up)"`

	AllowPrivateWebhooks bool   `key:"allow_private_webhooks" help:"let notifications reach private, loopback and link-local addresses (off: only public ones)"`
	PublicURL            string `key:"public_url" help:"the dashboard's public base URL, used for links in notifications (e.g. https://status.example.com)"`

	PingMaxBody        int `key:"ping_max_body" help:"bytes of a heartbeat ping's POST body kept (more is truncated, never refused)"`
	PingRatePerToken   int `key:"ping_rate_per_token" help:"heartbeat pings a minute per ping URL before 429 (0: no limit)"`
	PingRatePerAddress int `key:"ping_rate_per_address" help:"heartbeat pings a minute per client address before 429 (0: no limit)"`

	RetentionTicks   time.Duration `key:"retention_ticks" help:"how long raw check results are kept (e.g. 30d)"`
	RetentionRollups time.Duration `key:"retention_rollups" help:"how long hourly and daily rollups are kept (e.g. 400d); incidents are kept forever"`

	ShutdownTimeout time.Duration `key:"shutdown_timeout" help:"how long shutdown waits for in-flight work"`

	PipelineLagThreshold  time.Duration `key:"pipeline_lag_threshold" help:"a pipeline stage (pusher, workers, ingest, notifications) whose oldest waiting item is older than this is lagging: logged, shown in the dashboard, and the dead-man's switch stops"`
	DeadmanURL            string        `key:"deadman_url" secret:"true" help:"an http(s) URL the alerter calls (GET) every deadman_interval while checks flow and results are stored, e.g. another monitor's heartbeat ping URL; empty turns the dead-man's switch off"`
	DeadmanInterval       time.Duration `key:"deadman_interval" help:"how often the dead-man's switch is called"`
	OperatorChannel       string        `key:"operator_channel" help:"<workspace-key>/<channel-key> of a notification channel that is told when a region goes silent or a pipeline stage lags beyond operator_lag_alert; empty turns operator alerts off"`
	OperatorLagAlert      time.Duration `key:"operator_lag_alert" help:"a pipeline stage lagging longer than this alerts operator_channel"`
	OperatorRegionSilence time.Duration `key:"operator_region_silence" help:"a region with monitors whose workers are silent longer than this alerts operator_channel"`
}

// Defaults returns the settings used when nothing is configured.
func Defaults() Config {
	return Config{
		DataDir:                 "./data",
		HTTPAddr:                ":8080",
		LogFormat:               "text",
		LogLevel:                "info",
		Roles:                   []string{"all"},
		Region:                  "local",
		WorkerSpoolMax:          100_000,
		WorkerOfflineChecksFor:  15 * time.Minute,
		WorkerFallbackPerMinute: 20,
		WorkerConcurrency:       256,
		PusherAdmitWait:         2 * time.Second,
		PusherIngestWait:        10 * time.Second,
		DatabaseMaxConns:        20,
		RedisPrefix:             "bs:",
		JWTTTL:                  24 * time.Hour,
		LoginMaxFails:           10,
		LoginWindow:             15 * time.Minute,
		SSORole:                 "viewer",
		AuditRetention:          365 * 24 * time.Hour,
		MinInterval:             10 * time.Second,
		MaxMonitors:             1000,
		MaxChannels:             50,
		MaxStatusPages:          20,
		MaxAPIRequests:          1200,
		PingMaxBody:             100 << 10,
		PingRatePerToken:        60,
		PingRatePerAddress:      600,
		RetentionTicks:          30 * 24 * time.Hour,
		RetentionRollups:        400 * 24 * time.Hour,
		ShutdownTimeout:         15 * time.Second,

		PipelineLagThreshold:  30 * time.Second,
		DeadmanInterval:       time.Minute,
		OperatorLagAlert:      2 * time.Minute,
		OperatorRegionSilence: 2 * time.Minute,
	}
}

// Role names.
const (
	RoleAPI       = "api"
	RoleDashboard = "dashboard"
	RolePusher    = "pusher"
	RoleWorker    = "worker"
	RoleAlerter   = "alerter"
	RoleAll       = "all"
)

// AllRoles lists the roles in start order.
var AllRoles = []string{RoleAPI, RoleDashboard, RolePusher, RoleWorker, RoleAlerter}

// Load builds the config from defaults, the YAML file at path (if not empty),
// and the environment (lookup is os.LookupEnv in production).
func Load(path string, lookup func(string) (string, bool)) (Config, error) {
	cfg := Defaults()
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config file: %w", err)
		}
		if err := cfg.applyYAML(raw); err != nil {
			return cfg, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	for _, f := range fields(&cfg) {
		if v, ok := lookup(f.env()); ok {
			if err := f.set(v); err != nil {
				return cfg, fmt.Errorf("%s: %w", f.env(), err)
			}
		}
	}
	return cfg, nil
}

// Set applies one setting by key, as a flag would.
func (c *Config) Set(key, value string) error {
	for _, f := range fields(c) {
		if f.key == key {
			if err := f.set(value); err != nil {
				return fmt.Errorf("--%s: %w", strings.ReplaceAll(key, "_", "-"), err)
			}
			return nil
		}
	}
	return fmt.Errorf("unknown setting %q", key)
}

func (c *Config) applyYAML(raw []byte) error {
	var doc map[string]yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return err
	}
	byKey := map[string]field{}
	for _, f := range fields(c) {
		byKey[f.key] = f
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		node := doc[k]
		f, ok := byKey[k]
		if !ok {
			return fmt.Errorf("unknown key %q (line %d)", k, node.Line)
		}
		var value string
		switch node.Kind {
		case yaml.ScalarNode:
			value = node.Value
		case yaml.SequenceNode:
			parts := make([]string, 0, len(node.Content))
			for _, n := range node.Content {
				parts = append(parts, n.Value)
			}
			value = strings.Join(parts, ",")
		default:
			return fmt.Errorf("%s: expected a value or a list (line %d)", k, node.Line)
		}
		if err := f.set(value); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

// Embedded reports whether the process uses the embedded SQLite database.
func (c Config) Embedded() bool { return c.DatabaseURL == "" }

// InProcessQueue reports whether jobs and results stay inside the process.
func (c Config) InProcessQueue() bool { return c.RedisURL == "" }

// Sign-up policies, as SignupPolicy resolves allow_signup.
const (
	SignupFirst  = "first"  // only while no account exists: the installation's owner
	SignupOpen   = "open"   // anyone
	SignupClosed = "closed" // no one; the CLI creates accounts
)

// SignupPolicy resolves allow_signup: unset lets only the first account
// sign up, so an installation that faces the internet is not open to
// strangers by default.
func (c Config) SignupPolicy() string {
	switch {
	case c.AllowSignup == nil:
		return SignupFirst
	case *c.AllowSignup:
		return SignupOpen
	}
	return SignupClosed
}

// flagOf names the command-line flag that sets a key, where one does.
var flagOf = map[string]string{
	"roles": "--role", "region": "--region", "worker_id": "--worker-id", "http_addr": "--http-addr",
	"log_format": "--log-format", "log_level": "--log-level",
}

// Sources names every way to set key, for messages about its value:
// "BETTERSTACK_ROLES (roles, --role)", so that whoever passed a flag is
// not sent to look for an environment variable.
func Sources(key string) string {
	if f, ok := flagOf[key]; ok {
		return fmt.Sprintf("BETTERSTACK_%s (%s, %s)", strings.ToUpper(key), key, f)
	}
	return fmt.Sprintf("BETTERSTACK_%s (%s)", strings.ToUpper(key), key)
}

// ProxyRanges parses trusted_proxies: each an address (a range of one) or
// a CIDR range.
func (c Config) ProxyRanges() ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, p := range c.TrustedProxies {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if ip := net.ParseIP(p); ip != nil {
			bits := 8 * len(ip.To16())
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR range like 10.0.0.0/8", p)
		}
		out = append(out, n)
	}
	return out, nil
}

// BlockPrivate resolves block_private_targets: unset refuses private
// targets exactly when anyone may sign up, so a stranger's account can
// never turn the checks into a proxy into the private network; an
// installation whose accounts the operator made checks its own network.
func (c Config) BlockPrivate() bool {
	if c.BlockPrivateTargets != nil {
		return *c.BlockPrivateTargets
	}
	return c.SignupPolicy() == SignupOpen
}

// AutoMigrateEnabled resolves auto_migrate's default by backend.
func (c Config) AutoMigrateEnabled() bool {
	if c.AutoMigrate != nil {
		return *c.AutoMigrate
	}
	return c.Embedded()
}

// HasRole reports whether role is among the configured roles.
func (c Config) HasRole(role string) bool {
	for _, r := range c.ExpandedRoles() {
		if r == role {
			return true
		}
	}
	return false
}

// ExpandedRoles returns the roles with "all" expanded, in start order.
func (c Config) ExpandedRoles() []string {
	set := map[string]bool{}
	for _, r := range c.Roles {
		if r == RoleAll {
			for _, a := range AllRoles {
				set[a] = true
			}
			continue
		}
		set[r] = true
	}
	out := []string{}
	for _, r := range AllRoles {
		if set[r] {
			out = append(out, r)
		}
	}
	return out
}

// Validate checks every setting and their combinations. The message names
// the setting to change.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", Sources(key), fmt.Sprintf(format, args...)))
	}
	if len(c.Roles) == 0 {
		bad("roles", "at least one role is required (valid: %s, all)", strings.Join(AllRoles, ", "))
	}
	for _, r := range c.Roles {
		if r != RoleAll && !slices.Contains(AllRoles, r) {
			bad("roles", "unknown role %q (valid: %s, all)", r, strings.Join(AllRoles, ", "))
		}
	}
	if c.HTTPAddr == "" {
		bad("http_addr", "must not be empty")
	} else if err := checkListenAddr(c.HTTPAddr); err != nil {
		bad("http_addr", "%v", err)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log_format", "must be text or json, not %q", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log_level", "must be debug, info, warn or error, not %q", c.LogLevel)
	}
	if !validName(c.Region) {
		bad("region", "must be 1-64 characters of a-z, 0-9, '-' or '_', not %q", c.Region)
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad("database_url", "must be a postgres:// URL or empty for the embedded database")
		}
	} else if c.DataDir == "" {
		bad("data_dir", "must not be empty when database_url is empty")
	}
	if c.RedisURL != "" {
		if _, err := queue.ParseRedisURL(c.RedisURL); err != nil {
			bad("redis_url", "%v (or empty for the in-process queue)", err)
		}
	}
	if strings.ContainsAny(c.RedisPrefix, "{}") {
		bad("redis_prefix", "must not contain '{' or '}': the region is the hash tag of its keys")
	}
	if c.DatabaseMaxConns < 1 {
		bad("database_max_conns", "must be at least 1")
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		bad("jwt_secret", "must be at least 32 characters")
	}
	if c.HasRole(RoleAPI) || c.HasRole(RoleDashboard) {
		if !c.Embedded() && c.JWTSecret == "" {
			bad("jwt_secret", "is required when the api or dashboard role runs on PostgreSQL (32+ random characters, the same on every api process)")
		}
	}
	if c.JWTTTL < time.Minute {
		bad("jwt_ttl", "must be at least 1m")
	}
	if c.LoginMaxFails < 1 {
		bad("login_max_failures", "must be at least 1")
	}
	if _, err := c.ProxyRanges(); err != nil {
		bad("trusted_proxies", "%s", err)
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		bad("metrics_token", "must be at least 16 characters")
	}
	if c.LoginWindow < time.Second {
		bad("login_window", "must be at least 1s")
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("public_url", "must be an http:// or https:// URL, not %q", c.PublicURL)
		}
	}
	if c.SSOIssuer != "" || c.SSOClientID != "" || c.SSOClientSecret != "" {
		if err := c.SSO().Validate(); err != nil {
			errs = append(errs, err)
		}
		if c.PublicURL == "" {
			bad("public_url", "is required with single sign-on: the provider sends people back to public_url + /login/sso/callback")
		}
	}
	switch c.SSORole {
	case "admin", "editor", "responder", "viewer":
	default:
		bad("sso_role", "must be admin, editor, responder or viewer, not %q (owners are made by owners)", c.SSORole)
	}
	if c.AuditRetention < 24*time.Hour {
		bad("audit_retention", "must be at least 1d")
	}
	for _, q := range []struct {
		key string
		n   int
	}{{"max_monitors_per_account", c.MaxMonitors}, {"max_channels_per_account", c.MaxChannels}, {"max_status_pages_per_account", c.MaxStatusPages}} {
		if q.n < 0 {
			bad(q.key, "must be 0 (no limit) or more")
		}
	}
	if c.PingMaxBody < 1 || c.PingMaxBody > 10<<20 {
		bad("ping_max_body", "must be from 1 byte to 10 MiB")
	}
	for _, q := range []struct {
		key string
		n   int
	}{{"ping_rate_per_token", c.PingRatePerToken}, {"ping_rate_per_address", c.PingRatePerAddress}} {
		if q.n < 0 {
			bad(q.key, "must be 0 (no limit) or more")
		}
	}
	if c.MinInterval < time.Second {
		bad("min_interval", "must be at least 1s")
	}
	if c.RetentionTicks < 2*24*time.Hour {
		bad("retention_ticks", "must be at least 2d: the dashboard's charts read the last 24 hours of ticks")
	}
	if c.RetentionRollups < 90*24*time.Hour {
		bad("retention_rollups", "must be at least 90d: status pages show 90 days")
	}
	if c.ShutdownTimeout < time.Second {
		bad("shutdown_timeout", "must be at least 1s")
	}
	c.validateSelfcheck(bad)
	if c.WorkerSpoolMax < 1 {
		bad("worker_spool_max", "must be at least 1")
	}
	if c.WorkerOfflineChecksFor < 0 {
		bad("worker_offline_checks_for", "must be 0 (off) or more")
	}
	c.validateFallback(bad)
	if c.HasRole(RoleWorker) && !c.InProcessQueue() && c.DataDir == "" {
		bad("data_dir", "must not be empty for a worker on Redis: its spool lives there")
	}
	if err := c.validateTopology(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// maxSecretLen bounds signing secrets.
const maxSecretLen = 256

// validateFallback checks the worker's fallback webhook settings. The
// messages never repeat the URL: its path or query may be a credential.
func (c Config) validateFallback(bad func(key, format string, args ...any)) {
	if raw := c.WorkerFallbackWebhook; raw != "" {
		u, err := url.Parse(raw)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" ||
			len(raw) > 2048 || strings.ContainsAny(raw, " \t\r\n"):
			bad("worker_fallback_webhook", "must be an http:// or https:// URL (or empty to turn fallback notices off)")
		case u.User != nil:
			bad("worker_fallback_webhook", "must not contain a user name or password: put a token in the path or query, or sign the body with worker_fallback_secret")
		}
	}
	switch n := len(c.WorkerFallbackSecret); {
	case n == 0:
	case c.WorkerFallbackWebhook == "":
		bad("worker_fallback_secret", "is set but worker_fallback_webhook is empty: set both, or neither")
	case n < 16:
		bad("worker_fallback_secret", "must be at least 16 characters")
	case n > maxSecretLen:
		bad("worker_fallback_secret", "must be at most %d characters", maxSecretLen)
	}
	if c.WorkerFallbackPerMinute < 1 {
		bad("worker_fallback_per_minute", "must be at least 1")
	}
	if c.WorkerConcurrency < 1 || c.WorkerConcurrency > 10000 {
		bad("worker_concurrency", "must be between 1 and 10000")
	}
	if c.PusherAdmitWait < time.Second || c.PusherAdmitWait > time.Minute {
		bad("pusher_admit_wait", "must be between 1s and 1m: shorter skips checks on a healthy burst, longer lets every check run that late before any is skipped")
	}
	if c.PusherIngestWait < time.Second || c.PusherIngestWait > 10*time.Minute {
		bad("pusher_ingest_wait", "must be between 1s and 10m: shorter skips checks while the ingest absorbs a burst, longer lets every result wait that long before any check is skipped")
	}
}

// validateSelfcheck checks the pipeline health, dead-man's switch and
// operator alert settings.
func (c Config) validateSelfcheck(bad func(key, format string, args ...any)) {
	if c.PipelineLagThreshold < 5*time.Second {
		bad("pipeline_lag_threshold", "must be at least 5s: a healthy pipeline runs seconds behind")
	}
	if c.DeadmanURL != "" {
		if u, err := url.Parse(c.DeadmanURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("deadman_url", "must be an http:// or https:// URL (or empty to turn the dead-man's switch off)")
		}
	}
	if c.DeadmanInterval < 5*time.Second {
		bad("deadman_interval", "must be at least 5s")
	}
	if c.OperatorChannel != "" {
		if _, _, err := c.OperatorChannelKeys(); err != nil {
			bad("operator_channel", "%v", err)
		}
	}
	if c.OperatorLagAlert < 10*time.Second {
		bad("operator_lag_alert", "must be at least 10s")
	}
	if c.OperatorRegionSilence < 10*time.Second {
		bad("operator_region_silence", "must be at least 10s: workers beat every 5s")
	}
}

// OperatorChannelKeys splits operator_channel into its workspace and
// channel keys.
func (c Config) OperatorChannelKeys() (workspaceKey, channelKey string, err error) {
	ws, ch, ok := strings.Cut(c.OperatorChannel, "/")
	if !ok {
		return "", "", fmt.Errorf("must be <workspace-key>/<channel-key>, not %q", c.OperatorChannel)
	}
	if msg := key.Validate(ws); msg != "" {
		return "", "", fmt.Errorf("workspace key %q %s", ws, msg)
	}
	if msg := key.Validate(ch); msg != "" {
		return "", "", fmt.Errorf("channel key %q %s", ch, msg)
	}
	return ws, ch, nil
}

// checkListenAddr refuses what net.Listen would refuse only at start (or
// read differently from the user): http_addr is host:port, the host empty,
// an IP or a name, the port a number from 0 to 65535.
func checkListenAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("must be host:port such as :8080 or 127.0.0.1:8080, not %q", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || strings.TrimLeft(port, "0123456789") != "" {
		return fmt.Errorf("port must be a number from 0 to 65535, not %q", port)
	}
	if host != "" {
		if _, err := netip.ParseAddr(host); err != nil && !validHost(host) {
			return fmt.Errorf("host must be empty, an IP address or a host name, not %q", host)
		}
	}
	return nil
}

// validHost reports whether s is a DNS name: dot-separated labels of
// letters, digits and hyphens.
func validHost(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// validateTopology refuses role sets that cannot reach their peers: with the
// in-process queue the pusher, worker and alerter must share one process.
func (c Config) validateTopology() error {
	if !c.InProcessQueue() {
		return nil
	}
	var have, missing []string
	for _, r := range []string{RolePusher, RoleWorker, RoleAlerter} {
		if c.HasRole(r) {
			have = append(have, r)
		} else {
			missing = append(missing, r)
		}
	}
	if len(have) == 0 || len(missing) == 0 {
		return nil
	}
	msg := fmt.Sprintf("role %s without %s in the same process needs a shared queue: set BETTERSTACK_REDIS_URL (redis://...)",
		strings.Join(have, ","), strings.Join(missing, ","))
	if c.Embedded() && !c.HasRole(RoleWorker) {
		msg += " and BETTERSTACK_DATABASE_URL (postgres://...)"
	}
	if c.Embedded() && c.HasRole(RoleWorker) && len(have) == 1 {
		msg = "a worker-only process cannot reach anyone with the in-process queue: set BETTERSTACK_REDIS_URL (redis://...) to share jobs with the pushers, and BETTERSTACK_DATABASE_URL (postgres://...) for the other roles"
	}
	return fmt.Errorf("BETTERSTACK_REDIS_URL (redis_url): %s", msg)
}

// Setting is one line of the effective configuration.
type Setting struct {
	Key, Env, Value, Help string
}

// Effective lists every setting with its value, secrets masked.
func (c Config) Effective() []Setting {
	var out []Setting
	for _, f := range fields(&c) {
		v := f.String()
		if f.secret && v != "" {
			v = mask(f.key, v)
		}
		out = append(out, Setting{Key: f.key, Env: f.env(), Value: v, Help: f.help})
	}
	return out
}

// mask hides secrets; in URLs only the password is hidden so the host stays
// visible for debugging. A webhook's or the dead-man's switch's path and
// query are hidden too: they are often its credential (a token in the path,
// ?token=).
func mask(key, v string) string {
	if strings.HasSuffix(key, "_webhook") || key == "deadman_url" {
		u, err := url.Parse(v)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return "*****"
		}
		if (u.Path == "" || u.Path == "/") && u.RawQuery == "" && u.User == nil {
			return u.Scheme + "://" + u.Host + u.Path
		}
		return u.Scheme + "://" + u.Host + "/*****"
	}
	if strings.HasSuffix(key, "_url") {
		if u, err := url.Parse(v); err == nil && u.Scheme != "" {
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), "xxxxx")
			}
			q := u.Query()
			for k := range q {
				if strings.Contains(strings.ToLower(k), "password") {
					q.Set(k, "xxxxx")
				}
			}
			u.RawQuery = q.Encode()
			return strings.Replace(u.String(), "xxxxx", "*****", -1)
		}
	}
	return "*****"
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// field is one settable struct field, found by its `key` tag.
type field struct {
	key, help string
	secret    bool
	v         reflect.Value
}

func (f field) env() string { return "BETTERSTACK_" + strings.ToUpper(f.key) }

func fields(c *Config) []field {
	rv := reflect.ValueOf(c).Elem()
	rt := rv.Type()
	out := make([]field, 0, rt.NumField())
	for i := 0; i < rt.NumField(); i++ {
		sf := rt.Field(i)
		key := sf.Tag.Get("key")
		if key == "" {
			continue
		}
		out = append(out, field{key: key, help: sf.Tag.Get("help"), secret: sf.Tag.Get("secret") == "true", v: rv.Field(i)})
	}
	return out
}

var durationType = reflect.TypeOf(time.Duration(0))

func (f field) set(s string) error {
	s = strings.TrimSpace(s)
	switch {
	case f.v.Type() == durationType:
		d, err := parseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration (examples: 10s, 5m, 24h, 30d)", s)
		}
		f.v.SetInt(int64(d))
	case f.v.Kind() == reflect.String:
		f.v.SetString(s)
	case f.v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		f.v.SetBool(b)
	case f.v.Kind() == reflect.Pointer && f.v.Type().Elem().Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		f.v.Set(reflect.ValueOf(&b))
	case f.v.Kind() == reflect.Int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		f.v.SetInt(int64(n))
	case f.v.Kind() == reflect.Slice:
		var list []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				list = append(list, p)
			}
		}
		f.v.Set(reflect.ValueOf(list))
	default:
		return fmt.Errorf("unsupported setting type %s", f.v.Type())
	}
	return nil
}

// parseDuration is time.ParseDuration plus a whole number of days ("30d"),
// the natural unit of retention settings.
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100*365 {
			return 0, errors.New("bad number of days")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// String formats the field's value as it would be written in YAML or env.
func (f field) String() string {
	switch {
	case f.v.Type() == durationType:
		return time.Duration(f.v.Int()).String()
	case f.v.Kind() == reflect.Pointer:
		if f.v.IsNil() {
			return "(default)"
		}
		return strconv.FormatBool(f.v.Elem().Bool())
	case f.v.Kind() == reflect.Slice:
		return strings.Join(f.v.Interface().([]string), ",")
	default:
		return fmt.Sprint(f.v.Interface())
	}
}

// SSOEnabled reports whether single sign-on is configured.
func (c Config) SSOEnabled() bool { return c.SSOIssuer != "" }

// SSO returns the OpenID Connect settings; the provider sends people back
// to public_url + /login/sso/callback.
func (c Config) SSO() sso.Config {
	return sso.Config{Issuer: c.SSOIssuer, ClientID: c.SSOClientID, ClientSecret: c.SSOClientSecret,
		RedirectURL: strings.TrimRight(c.PublicURL, "/") + "/login/sso/callback", AllowedDomains: c.SSOAllowedDomains}
}

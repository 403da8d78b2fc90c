package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/config"
)

const examplePath = "../../configs/betterstack.example.yaml"

// env returns a lookup func over a fixed map, so tests never read the real
// environment.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// writeYAML writes body to a temporary file and returns its path; an empty
// body means no file.
func writeYAML(t *testing.T, body string) string {
	t.Helper()
	if body == "" {
		return ""
	}
	path := filepath.Join(t.TempDir(), "betterstack.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// mustLoad loads yaml and env or fails the test.
func mustLoad(t *testing.T, yaml string, vars map[string]string) config.Config {
	t.Helper()
	cfg, err := config.Load(writeYAML(t, yaml), env(vars))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg
}

// wantErr fails unless err is non-nil and contains every one of subs.
func wantErr(t *testing.T, err error, subs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", subs)
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}

// keys lists the `key` tags of config.Config.
func keys() []string {
	rt := reflect.TypeOf(config.Config{})
	var out []string
	for i := 0; i < rt.NumField(); i++ {
		if k := rt.Field(i).Tag.Get("key"); k != "" {
			out = append(out, k)
		}
	}
	return out
}

func TestLoadPrecedence(t *testing.T) {
	const yaml = "http_addr: 127.0.0.1:9000\nmin_interval: 30s\nregion: yaml-region\n"
	tests := []struct {
		name  string
		yaml  string
		env   map[string]string
		flags map[string]string
		want  func(config.Config) config.Config
	}{
		{
			name: "defaults",
			want: func(c config.Config) config.Config { return c },
		},
		{
			name: "yaml over defaults",
			yaml: yaml,
			want: func(c config.Config) config.Config {
				c.HTTPAddr, c.MinInterval, c.Region = "127.0.0.1:9000", 30*time.Second, "yaml-region"
				return c
			},
		},
		{
			name: "env over yaml",
			yaml: yaml,
			env:  map[string]string{"BETTERSTACK_HTTP_ADDR": "127.0.0.1:9001", "BETTERSTACK_MIN_INTERVAL": "1m"},
			want: func(c config.Config) config.Config {
				c.HTTPAddr, c.MinInterval, c.Region = "127.0.0.1:9001", time.Minute, "yaml-region"
				return c
			},
		},
		{
			name:  "flags over env",
			yaml:  yaml,
			env:   map[string]string{"BETTERSTACK_HTTP_ADDR": "127.0.0.1:9001", "BETTERSTACK_REGION": "env-region"},
			flags: map[string]string{"http_addr": "127.0.0.1:9002"},
			want: func(c config.Config) config.Config {
				c.HTTPAddr, c.MinInterval, c.Region = "127.0.0.1:9002", 30*time.Second, "env-region"
				return c
			},
		},
		{
			name:  "flags over defaults",
			flags: map[string]string{"region": "flag-region", "roles": "worker"},
			want: func(c config.Config) config.Config {
				c.Region, c.Roles = "flag-region", []string{"worker"}
				return c
			},
		},
		{
			name: "env without a file",
			env:  map[string]string{"BETTERSTACK_AUTO_MIGRATE": "false", "BETTERSTACK_ALLOW_SIGNUP": "false"},
			want: func(c config.Config) config.Config {
				off := false
				c.AutoMigrate, c.AllowSignup = &off, &off
				return c
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustLoad(t, tt.yaml, tt.env)
			for k, v := range tt.flags {
				if err := cfg.Set(k, v); err != nil {
					t.Fatalf("Set(%s): %v", k, err)
				}
			}
			if want := tt.want(config.Defaults()); !reflect.DeepEqual(cfg, want) {
				t.Errorf("got  %+v\nwant %+v", cfg, want)
			}
		})
	}
}

// TestLoadEveryKey sets every key to a non-default value through YAML and
// through the environment and checks each lands in its field.
func TestLoadEveryKey(t *testing.T) {
	on, off := true, false
	want := config.Config{
		DataDir: "/var/lib/betterstack", HTTPAddr: "0.0.0.0:9090", LogFormat: "json", LogLevel: "debug",
		Roles: []string{"api", "dashboard"}, Region: "eu-west", WorkerID: "w-1",
		DatabaseURL: "postgres://bs:pw@db:5432/bs", AutoMigrate: &on, DatabaseMaxConns: 7,
		RedisURL: "redis://:pw@cache:6379/1", RedisPrefix: "prod:",
		JWTSecret: strings.Repeat("s", 40), JWTTTL: 2 * time.Hour, AllowSignup: &off,
		LoginMaxFails: 3, LoginWindow: 90 * time.Second, MinInterval: 45 * time.Second, MaxMonitors: 50, MaxChannels: 5, MaxStatusPages: 3, BlockPrivateTargets: &on,
		AllowPrivateWebhooks: true, PublicURL: "https://status.example.com", ShutdownTimeout: 20 * time.Second,
		RetentionTicks: 7 * 24 * time.Hour, RetentionRollups: 2400 * time.Hour,
		SSOIssuer: "https://id.example.com", SSOClientID: "bs", SSOClientSecret: "sso-secret", SSOAllowedDomains: []string{"example.com", "example.org"},
		SSOWorkspace: "acme", SSORole: "editor", AuditRetention: 90 * 24 * time.Hour, MaxAPIRequests: 30,
		PingMaxBody: 2048, PingRatePerToken: 10, PingRatePerAddress: 100,
		PipelineLagThreshold: 45 * time.Second, DeadmanURL: "https://other.example.com/ping/abc", DeadmanInterval: 30 * time.Second,
		OperatorChannel: "ops/pager", OperatorLagAlert: 5 * time.Minute, OperatorRegionSilence: 90 * time.Second,
		WorkerSpoolMax: 500, WorkerOfflineChecksFor: 5 * time.Minute,
		WorkerFallbackWebhook: "https://hooks.example.com/fallback", WorkerFallbackSecret: "fallback-secret-0123", WorkerFallbackPerMinute: 5,
		WorkerConcurrency: 64, PusherAdmitWait: 5 * time.Second, PusherIngestWait: 30 * time.Second,
		TrustedProxies: []string{"10.0.0.0/8", "127.0.0.1"}, MetricsToken: "metrics-token-0123",
	}
	values := map[string]string{
		"data_dir": "/var/lib/betterstack", "http_addr": "0.0.0.0:9090", "log_format": "json", "log_level": "debug",
		"roles": "api,dashboard", "region": "eu-west", "worker_id": "w-1",
		"database_url": "postgres://bs:pw@db:5432/bs", "auto_migrate": "true", "database_max_conns": "7",
		"redis_url": "redis://:pw@cache:6379/1", "redis_prefix": "prod:",
		"jwt_secret": strings.Repeat("s", 40), "jwt_ttl": "2h", "allow_signup": "false",
		"login_max_failures": "3", "login_window": "90s", "min_interval": "45s", "max_monitors_per_account": "50", "max_channels_per_account": "5", "max_status_pages_per_account": "3", "block_private_targets": "true",
		"allow_private_webhooks": "true", "public_url": "https://status.example.com", "shutdown_timeout": "20s",
		"retention_ticks": "7d", "retention_rollups": "2400h",
		"sso_issuer": "https://id.example.com", "sso_client_id": "bs", "sso_client_secret": "sso-secret", "sso_allowed_domains": "example.com,example.org",
		"sso_workspace": "acme", "sso_role": "editor", "audit_retention": "90d", "max_api_requests_per_minute": "30",
		"ping_max_body": "2048", "ping_rate_per_token": "10", "ping_rate_per_address": "100",
		"pipeline_lag_threshold": "45s", "deadman_url": "https://other.example.com/ping/abc", "deadman_interval": "30s",
		"operator_channel": "ops/pager", "operator_lag_alert": "5m", "operator_region_silence": "90s",
		"worker_spool_max": "500", "worker_offline_checks_for": "5m",
		"worker_fallback_webhook": "https://hooks.example.com/fallback", "worker_fallback_secret": "fallback-secret-0123", "worker_fallback_per_minute": "5",
		"worker_concurrency": "64", "pusher_admit_wait": "5s", "pusher_ingest_wait": "30s",
		"trusted_proxies": "10.0.0.0/8,127.0.0.1", "metrics_token": "metrics-token-0123",
	}
	if len(values) != len(keys()) {
		t.Fatalf("the test sets %d keys, config.Config has %d: add the new ones", len(values), len(keys()))
	}
	var yaml strings.Builder
	vars := map[string]string{}
	for _, k := range keys() {
		v, ok := values[k]
		if !ok {
			t.Fatalf("key %s has no test value", k)
		}
		yaml.WriteString(k + ": \"" + v + "\"\n")
		vars["BETTERSTACK_"+strings.ToUpper(k)] = v
	}
	t.Run("yaml", func(t *testing.T) {
		if got := mustLoad(t, yaml.String(), nil); !reflect.DeepEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("env", func(t *testing.T) {
		if got := mustLoad(t, "", vars); !reflect.DeepEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("set", func(t *testing.T) {
		got := config.Defaults()
		for k, v := range values {
			if err := got.Set(k, v); err != nil {
				t.Fatalf("Set(%s): %v", k, err)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
	})
}

func TestLoadRoles(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want []string
	}{
		{name: "yaml flow list", yaml: "roles: [api, worker]\n", want: []string{"api", "worker"}},
		{name: "yaml block list", yaml: "roles:\n  - api\n  - worker\n", want: []string{"api", "worker"}},
		{name: "yaml comma string", yaml: "roles: api, worker\n", want: []string{"api", "worker"}},
		{name: "env comma string", env: map[string]string{"BETTERSTACK_ROLES": " api ,worker,"}, want: []string{"api", "worker"}},
		{name: "env single", env: map[string]string{"BETTERSTACK_ROLES": "pusher"}, want: []string{"pusher"}},
		{name: "default", want: []string{"all"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustLoad(t, tt.yaml, tt.env).Roles; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("roles = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want []string // substrings of the error
	}{
		{name: "unknown yaml key", yaml: "http_addr: :80\nmin_intervall: 5s\n", want: []string{"min_intervall", "unknown key", "line 2"}},
		{name: "yaml nested map", yaml: "region:\n  name: eu\n", want: []string{"region", "expected a value or a list"}},
		{name: "yaml syntax", yaml: "roles: [api\n", want: []string{"config file"}},
		{name: "yaml bad duration", yaml: "min_interval: abc\n", want: []string{"min_interval", `"abc" is not a duration`}},
		{name: "yaml duration without unit", yaml: "jwt_ttl: 30\n", want: []string{"jwt_ttl", "not a duration"}},
		{name: "yaml bad days", yaml: "retention_ticks: 1.5d\n", want: []string{"retention_ticks", `"1.5d" is not a duration`}},
		{name: "yaml negative days", yaml: "retention_ticks: -3d\n", want: []string{"retention_ticks", "not a duration"}},
		{name: "yaml bad bool", yaml: "allow_signup: maybe\n", want: []string{"allow_signup", "not true or false"}},
		{name: "yaml bad optional bool", yaml: "auto_migrate: sometimes\n", want: []string{"auto_migrate", "not true or false"}},
		{name: "yaml bad int", yaml: "database_max_conns: lots\n", want: []string{"database_max_conns", "not a whole number"}},
		{name: "env bad duration", env: map[string]string{"BETTERSTACK_MIN_INTERVAL": "abc"}, want: []string{"BETTERSTACK_MIN_INTERVAL", `"abc"`}},
		{name: "env bad bool", env: map[string]string{"BETTERSTACK_ALLOW_SIGNUP": "maybe"}, want: []string{"BETTERSTACK_ALLOW_SIGNUP", "not true or false"}},
		{name: "env bad optional bool", env: map[string]string{"BETTERSTACK_AUTO_MIGRATE": "2"}, want: []string{"BETTERSTACK_AUTO_MIGRATE"}},
		{name: "env bad int", env: map[string]string{"BETTERSTACK_LOGIN_MAX_FAILURES": "1.5"}, want: []string{"BETTERSTACK_LOGIN_MAX_FAILURES", "not a whole number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(writeYAML(t, tt.yaml), env(tt.env))
			wantErr(t, err, tt.want...)
		})
	}
	t.Run("missing file", func(t *testing.T) {
		_, err := config.Load(filepath.Join(t.TempDir(), "nope.yaml"), env(nil))
		wantErr(t, err, "config file", "nope.yaml")
	})
}

func TestSet(t *testing.T) {
	tests := []struct {
		name, key, value string
		want             []string
	}{
		{name: "bad duration names the flag", key: "min_interval", value: "abc", want: []string{"--min-interval", `"abc"`}},
		{name: "bad int names the flag", key: "database_max_conns", value: "x", want: []string{"--database-max-conns"}},
		{name: "unknown key", key: "nope", value: "1", want: []string{`unknown setting "nope"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Defaults()
			wantErr(t, cfg.Set(tt.key, tt.value), tt.want...)
		})
	}
}

func TestValidate(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name   string
		change func(c *config.Config)
		want   []string // substrings of the error; none means valid
		reject []string // substrings the error must not contain
	}{
		{name: "all with nothing configured", change: func(c *config.Config) {}},
		{
			name:   "unknown role lists the valid ones",
			change: func(c *config.Config) { c.Roles = []string{"api", "bogus"} },
			want:   []string{"BETTERSTACK_ROLES (roles, --role)", `"bogus"`, "api, dashboard, pusher, worker, alerter, all"},
		},
		{
			name:   "fallback webhook over https",
			change: func(c *config.Config) { c.WorkerFallbackWebhook = "https://hooks.example.com/T0/B0/s3cr3t" },
		},
		{
			name: "fallback webhook over http, with a secret",
			change: func(c *config.Config) {
				c.WorkerFallbackWebhook, c.WorkerFallbackSecret = "http://10.0.0.5:9000/hook", strings.Repeat("k", 16)
			},
		},
		{
			name:   "fallback webhook must be http or https, and is not repeated",
			change: func(c *config.Config) { c.WorkerFallbackWebhook = "ftp://hooks.example.com/s3cr3t" },
			want:   []string{"BETTERSTACK_WORKER_FALLBACK_WEBHOOK (worker_fallback_webhook)", "http:// or https://"},
			reject: []string{"s3cr3t"},
		},
		{
			name:   "fallback webhook needs a host",
			change: func(c *config.Config) { c.WorkerFallbackWebhook = "https:///hook" },
			want:   []string{"BETTERSTACK_WORKER_FALLBACK_WEBHOOK"},
		},
		{
			name:   "fallback webhook is a URL, not a word",
			change: func(c *config.Config) { c.WorkerFallbackWebhook = "hooks.example.com/hook" },
			want:   []string{"BETTERSTACK_WORKER_FALLBACK_WEBHOOK"},
		},
		{
			name:   "fallback webhook without a password in it",
			change: func(c *config.Config) { c.WorkerFallbackWebhook = "https://ops:s3cr3t@hooks.example.com/hook" },
			want:   []string{"BETTERSTACK_WORKER_FALLBACK_WEBHOOK", "user name or password"},
			reject: []string{"s3cr3t"},
		},
		{
			name: "fallback secret at its minimum",
			change: func(c *config.Config) {
				c.WorkerFallbackWebhook, c.WorkerFallbackSecret = "https://h.example/x", strings.Repeat("k", 16)
			},
		},
		{
			name: "fallback secret below its minimum",
			change: func(c *config.Config) {
				c.WorkerFallbackWebhook, c.WorkerFallbackSecret = "https://h.example/x", strings.Repeat("k", 15)
			},
			want: []string{"BETTERSTACK_WORKER_FALLBACK_SECRET (worker_fallback_secret)", "at least 16"},
		},
		{
			name:   "fallback secret without a webhook",
			change: func(c *config.Config) { c.WorkerFallbackSecret = strings.Repeat("k", 20) },
			want:   []string{"BETTERSTACK_WORKER_FALLBACK_SECRET", "worker_fallback_webhook is empty"},
		},
		{
			name:   "fallback cap at its minimum",
			change: func(c *config.Config) { c.WorkerFallbackPerMinute = 1 },
		},
		{
			name:   "fallback cap below its minimum",
			change: func(c *config.Config) { c.WorkerFallbackPerMinute = 0 },
			want:   []string{"BETTERSTACK_WORKER_FALLBACK_PER_MINUTE", "at least 1"},
		},
		{name: "worker concurrency at its bounds", change: func(c *config.Config) { c.WorkerConcurrency = 1 }},
		{name: "worker concurrency at its top", change: func(c *config.Config) { c.WorkerConcurrency = 10000 }},
		{
			name:   "worker concurrency of 0",
			change: func(c *config.Config) { c.WorkerConcurrency = 0 },
			want:   []string{"BETTERSTACK_WORKER_CONCURRENCY", "between 1 and 10000"},
		},
		{
			name:   "worker concurrency past its top",
			change: func(c *config.Config) { c.WorkerConcurrency = 10001 },
			want:   []string{"BETTERSTACK_WORKER_CONCURRENCY", "between 1 and 10000"},
		},
		{name: "admit wait at its floor", change: func(c *config.Config) { c.PusherAdmitWait = time.Second }},
		{name: "admit wait at its top", change: func(c *config.Config) { c.PusherAdmitWait = time.Minute }},
		{
			name:   "admit wait under a second",
			change: func(c *config.Config) { c.PusherAdmitWait = time.Second - time.Millisecond },
			want:   []string{"BETTERSTACK_PUSHER_ADMIT_WAIT", "between 1s and 1m"},
		},
		{
			name:   "admit wait over a minute",
			change: func(c *config.Config) { c.PusherAdmitWait = time.Minute + time.Millisecond },
			want:   []string{"BETTERSTACK_PUSHER_ADMIT_WAIT", "between 1s and 1m"},
		},
		{name: "ingest wait at its floor", change: func(c *config.Config) { c.PusherIngestWait = time.Second }},
		{name: "ingest wait at its top", change: func(c *config.Config) { c.PusherIngestWait = 10 * time.Minute }},
		{
			name:   "ingest wait under a second",
			change: func(c *config.Config) { c.PusherIngestWait = time.Second - time.Millisecond },
			want:   []string{"BETTERSTACK_PUSHER_INGEST_WAIT", "between 1s and 10m"},
		},
		{
			name:   "ingest wait over ten minutes",
			change: func(c *config.Config) { c.PusherIngestWait = 10*time.Minute + time.Millisecond },
			want:   []string{"BETTERSTACK_PUSHER_INGEST_WAIT", "between 1s and 10m"},
		},
		{
			name:   "dead-man URL must be http or https",
			change: func(c *config.Config) { c.DeadmanURL = "ftp://other.example.com/ping/abc" },
			want:   []string{"BETTERSTACK_DEADMAN_URL (deadman_url)", "http:// or https://"},
		},
		{
			name:   "dead-man URL needs a host",
			change: func(c *config.Config) { c.DeadmanURL = "https:///ping/abc" },
			want:   []string{"BETTERSTACK_DEADMAN_URL"},
		},
		{
			name:   "dead-man URL over http is fine",
			change: func(c *config.Config) { c.DeadmanURL = "http://127.0.0.1:8080/ping/abc" },
		},
		{
			name:   "dead-man interval at its minimum",
			change: func(c *config.Config) { c.DeadmanInterval = 5 * time.Second },
		},
		{
			name:   "dead-man interval below its minimum",
			change: func(c *config.Config) { c.DeadmanInterval = 5*time.Second - time.Millisecond },
			want:   []string{"BETTERSTACK_DEADMAN_INTERVAL", "at least 5s"},
		},
		{
			name:   "pipeline lag threshold below its minimum",
			change: func(c *config.Config) { c.PipelineLagThreshold = 4 * time.Second },
			want:   []string{"BETTERSTACK_PIPELINE_LAG_THRESHOLD"},
		},
		{
			name:   "operator channel without a workspace",
			change: func(c *config.Config) { c.OperatorChannel = "pager" },
			want:   []string{"BETTERSTACK_OPERATOR_CHANNEL (operator_channel)", "<workspace-key>/<channel-key>"},
		},
		{
			name:   "operator channel with a bad channel key",
			change: func(c *config.Config) { c.OperatorChannel = "ops/Pager Duty" },
			want:   []string{"BETTERSTACK_OPERATOR_CHANNEL", `channel key "Pager Duty"`},
		},
		{
			name:   "operator channel with keys",
			change: func(c *config.Config) { c.OperatorChannel = "ops/pager" },
		},
		{
			name:   "operator lag alert below its minimum",
			change: func(c *config.Config) { c.OperatorLagAlert = 9 * time.Second },
			want:   []string{"BETTERSTACK_OPERATOR_LAG_ALERT"},
		},
		{
			name:   "operator region silence below its minimum",
			change: func(c *config.Config) { c.OperatorRegionSilence = 9 * time.Second },
			want:   []string{"BETTERSTACK_OPERATOR_REGION_SILENCE"},
		},
		{
			name:   "no roles",
			change: func(c *config.Config) { c.Roles = nil },
			want:   []string{"BETTERSTACK_ROLES", "at least one role"},
		},
		{
			name:   "worker alone without redis",
			change: func(c *config.Config) { c.Roles = []string{"worker"} },
			want:   []string{"BETTERSTACK_REDIS_URL"},
		},
		{
			name:   "pusher alone without redis and database",
			change: func(c *config.Config) { c.Roles = []string{"pusher"} },
			want:   []string{"BETTERSTACK_REDIS_URL", "BETTERSTACK_DATABASE_URL"},
		},
		{
			name: "worker alone with redis and no database",
			change: func(c *config.Config) {
				c.Roles, c.RedisURL = []string{"worker"}, "redis://127.0.0.1:6379/0"
			},
		},
		{
			name: "central roles on postgres and redis",
			change: func(c *config.Config) {
				c.Roles = []string{"api", "dashboard", "pusher", "alerter"}
				c.DatabaseURL, c.RedisURL, c.JWTSecret = "postgres://db/bs", "rediss://cache:6380", secret
			},
		},
		{
			name:   "api on postgres without jwt_secret",
			change: func(c *config.Config) { c.Roles, c.DatabaseURL = []string{"api"}, "postgres://db/bs" },
			want:   []string{"BETTERSTACK_JWT_SECRET", "required"},
		},
		{
			name:   "dashboard on postgres without jwt_secret",
			change: func(c *config.Config) { c.Roles, c.DatabaseURL = []string{"dashboard"}, "postgresql://db/bs" },
			want:   []string{"BETTERSTACK_JWT_SECRET"},
		},
		{
			name:   "api on sqlite needs no jwt_secret",
			change: func(c *config.Config) { c.Roles = []string{"api"} },
		},
		{
			name:   "short jwt_secret",
			change: func(c *config.Config) { c.JWTSecret = "short" },
			want:   []string{"BETTERSTACK_JWT_SECRET", "at least 32 characters"},
		},
		{
			name:   "trusted_proxies not an address",
			change: func(c *config.Config) { c.TrustedProxies = []string{"10.0.0.0/8", "proxy.internal"} },
			want:   []string{"BETTERSTACK_TRUSTED_PROXIES", `"proxy.internal"`, "CIDR"},
		},
		{
			name:   "trusted_proxies bad CIDR",
			change: func(c *config.Config) { c.TrustedProxies = []string{"10.0.0.0/33"} },
			want:   []string{"BETTERSTACK_TRUSTED_PROXIES", `"10.0.0.0/33"`},
		},
		{
			name:   "trusted_proxies addresses and ranges",
			change: func(c *config.Config) { c.TrustedProxies = []string{"127.0.0.1", "::1", "10.0.0.0/8", "fd00::/8"} },
		},
		{
			name:   "metrics_token one short",
			change: func(c *config.Config) { c.MetricsToken = "0123456789abcde" },
			want:   []string{"BETTERSTACK_METRICS_TOKEN", "at least 16 characters"},
		},
		{
			name:   "metrics_token of 16",
			change: func(c *config.Config) { c.MetricsToken = "0123456789abcdef" },
		},
		{
			name:   "mysql database_url",
			change: func(c *config.Config) { c.DatabaseURL, c.JWTSecret = "mysql://u:p@db/bs", secret },
			want:   []string{"BETTERSTACK_DATABASE_URL", "postgres://"},
		},
		{
			name:   "bad redis_url scheme",
			change: func(c *config.Config) { c.RedisURL = "http://cache:6379" },
			want:   []string{"BETTERSTACK_REDIS_URL", "redis://"},
		},
		{
			name:   "unparsable redis_url",
			change: func(c *config.Config) { c.RedisURL = "redis://cache:port" },
			want:   []string{"BETTERSTACK_REDIS_URL"},
		},
		{
			name: "worker alone behind sentinel",
			change: func(c *config.Config) {
				c.Roles, c.RedisURL = []string{"worker"}, "redis+sentinel://:pw@s1:26379,s2:26379/mymaster/0"
			},
		},
		{
			name: "worker alone on a cluster",
			change: func(c *config.Config) {
				c.Roles, c.RedisURL = []string{"worker"}, "redis+cluster://n1:7000,n2:7000,n3:7000"
			},
		},
		{
			name:   "sentinel redis_url without the primary's name",
			change: func(c *config.Config) { c.RedisURL = "redis+sentinel://:s3cr3tpw@s1:26379,s2:26379" },
			want:   []string{"BETTERSTACK_REDIS_URL (redis_url)", "primary's name"},
		},
		{
			name:   "cluster redis_url with a database",
			change: func(c *config.Config) { c.RedisURL = "redis+cluster://n1:7000/2" },
			want:   []string{"BETTERSTACK_REDIS_URL (redis_url)", "only database 0"},
		},
		{
			name:   "redis_prefix with a hash tag",
			change: func(c *config.Config) { c.RedisPrefix = "bs:{x}:" },
			want:   []string{"BETTERSTACK_REDIS_PREFIX (redis_prefix)", "hash tag"},
		},
		{
			name:   "empty data_dir on sqlite",
			change: func(c *config.Config) { c.DataDir = "" },
			want:   []string{"BETTERSTACK_DATA_DIR"},
		},
		{
			name:   "bad log format and level",
			change: func(c *config.Config) { c.LogFormat, c.LogLevel = "xml", "loud" },
			want:   []string{"BETTERSTACK_LOG_FORMAT", "BETTERSTACK_LOG_LEVEL"},
		},
		{
			name:   "bad region",
			change: func(c *config.Config) { c.Region = "EU West" },
			want:   []string{"BETTERSTACK_REGION"},
		},
		{
			name:   "public_url without a scheme",
			change: func(c *config.Config) { c.PublicURL = "status.example.com" },
			want:   []string{"BETTERSTACK_PUBLIC_URL", "http://"},
		},
		{
			name:   "public_url https",
			change: func(c *config.Config) { c.PublicURL = "https://status.example.com/base" },
		},
		{
			name:   "min_interval below a second",
			change: func(c *config.Config) { c.MinInterval = 500 * time.Millisecond },
			want:   []string{"BETTERSTACK_MIN_INTERVAL", "at least 1s"},
		},
		{
			name:   "retention_ticks below the dashboard's day of ticks",
			change: func(c *config.Config) { c.RetentionTicks = 24 * time.Hour },
			want:   []string{"BETTERSTACK_RETENTION_TICKS", "at least 2d"},
		},
		{
			name:   "retention_rollups below the status pages' 90 days",
			change: func(c *config.Config) { c.RetentionRollups = 30 * 24 * time.Hour },
			want:   []string{"BETTERSTACK_RETENTION_ROLLUPS", "at least 90d"},
		},
		{
			name:   "http_addr no port",
			change: func(c *config.Config) { c.HTTPAddr = "8080" },
			want:   []string{"BETTERSTACK_HTTP_ADDR (http_addr, --http-addr)", "host:port"},
		},
		{
			name:   "http_addr port out of range",
			change: func(c *config.Config) { c.HTTPAddr = "127.0.0.1:99999" },
			want:   []string{"BETTERSTACK_HTTP_ADDR (http_addr, --http-addr)", "0 to 65535"},
		},
		{
			name:   "http_addr negative port",
			change: func(c *config.Config) { c.HTTPAddr = ":-1" },
			want:   []string{"BETTERSTACK_HTTP_ADDR (http_addr, --http-addr)", "0 to 65535"},
		},
		{
			name:   "http_addr named port",
			change: func(c *config.Config) { c.HTTPAddr = ":http" },
			want:   []string{"BETTERSTACK_HTTP_ADDR (http_addr, --http-addr)", "0 to 65535"},
		},
		{
			name:   "http_addr empty port",
			change: func(c *config.Config) { c.HTTPAddr = "127.0.0.1:" },
			want:   []string{"BETTERSTACK_HTTP_ADDR (http_addr, --http-addr)", "0 to 65535"},
		},
		{
			name:   "http_addr space in host",
			change: func(c *config.Config) { c.HTTPAddr = "local host:80" },
			want:   []string{"BETTERSTACK_HTTP_ADDR (http_addr, --http-addr)", "host must be"},
		},
		{
			name:   "http_addr url instead of address",
			change: func(c *config.Config) { c.HTTPAddr = "http://127.0.0.1:8080" },
			want:   []string{"BETTERSTACK_HTTP_ADDR (http_addr, --http-addr)", "host:port"},
		},
		{
			name:   "http_addr unbracketed ipv6",
			change: func(c *config.Config) { c.HTTPAddr = "::1:8080" },
			want:   []string{"BETTERSTACK_HTTP_ADDR (http_addr, --http-addr)", "host:port"},
		},
		{name: "http_addr any interface", change: func(c *config.Config) { c.HTTPAddr = ":8080" }},
		{name: "http_addr ipv4", change: func(c *config.Config) { c.HTTPAddr = "127.0.0.1:0" }},
		{name: "http_addr ipv6", change: func(c *config.Config) { c.HTTPAddr = "[::1]:65535" }},
		{name: "http_addr host name", change: func(c *config.Config) { c.HTTPAddr = "localhost:8080" }},
		{
			name: "every problem is reported at once",
			change: func(c *config.Config) {
				c.HTTPAddr, c.DatabaseMaxConns, c.JWTTTL, c.LoginMaxFails, c.LoginWindow, c.ShutdownTimeout = "", 0, time.Second, 0, 0, 0
			},
			want: []string{"BETTERSTACK_HTTP_ADDR", "BETTERSTACK_DATABASE_MAX_CONNS", "BETTERSTACK_JWT_TTL",
				"BETTERSTACK_LOGIN_MAX_FAILURES", "BETTERSTACK_LOGIN_WINDOW", "BETTERSTACK_SHUTDOWN_TIMEOUT"},
			reject: []string{"BETTERSTACK_ROLES", "BETTERSTACK_REDIS_URL"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Defaults()
			tt.change(&cfg)
			err := cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v, want nil", err)
				}
				return
			}
			wantErr(t, err, tt.want...)
			for _, s := range tt.reject {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q mentions %q", err, s)
				}
			}
		})
	}
}

func TestAutoMigrateEnabled(t *testing.T) {
	on, off := true, false
	tests := []struct {
		name        string
		databaseURL string
		auto        *bool
		want        bool
	}{
		{name: "sqlite default", want: true},
		{name: "postgres default", databaseURL: "postgres://db/bs", want: false},
		{name: "postgres on", databaseURL: "postgres://db/bs", auto: &on, want: true},
		{name: "sqlite off", auto: &off, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Defaults()
			cfg.DatabaseURL, cfg.AutoMigrate = tt.databaseURL, tt.auto
			if got := cfg.AutoMigrateEnabled(); got != tt.want {
				t.Errorf("AutoMigrateEnabled = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExpandedRoles(t *testing.T) {
	tests := []struct {
		roles, want []string
	}{
		{roles: []string{"all"}, want: []string{"api", "dashboard", "pusher", "worker", "alerter"}},
		{roles: []string{"worker", "api", "worker"}, want: []string{"api", "worker"}},
		{roles: []string{"alerter", "all"}, want: []string{"api", "dashboard", "pusher", "worker", "alerter"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.roles, ","), func(t *testing.T) {
			cfg := config.Config{Roles: tt.roles}
			if got := cfg.ExpandedRoles(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ExpandedRoles = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEffective(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *config.Config)
		key    string
		want   string   // exact value, when set
		show   []string // substrings the value must contain
		hide   []string // substrings it must not contain
	}{
		{
			name:   "jwt_secret fully masked",
			change: func(c *config.Config) { c.JWTSecret = "super-secret-super-secret-super-secret" },
			key:    "jwt_secret", want: "*****",
		},
		{
			name: "database_url password masked, host kept",
			change: func(c *config.Config) {
				c.DatabaseURL = "postgres://bs:s3cr3tpw@db.internal:5432/betterstack?sslmode=disable"
			},
			key: "database_url", want: "postgres://bs:*****@db.internal:5432/betterstack?sslmode=disable",
		},
		{
			name:   "database_url password query parameter masked",
			change: func(c *config.Config) { c.DatabaseURL = "postgres://db.internal/betterstack?password=s3cr3tpw&user=bs" },
			key:    "database_url", show: []string{"db.internal", "user=bs", "password=*****"}, hide: []string{"s3cr3tpw"},
		},
		{
			name:   "database_url without password unchanged",
			change: func(c *config.Config) { c.DatabaseURL = "postgres://bs@db.internal/betterstack" },
			key:    "database_url", want: "postgres://bs@db.internal/betterstack",
		},
		{
			name:   "unparsable database_url fully masked",
			change: func(c *config.Config) { c.DatabaseURL = "host=db password=s3cr3tpw" },
			key:    "database_url", want: "*****",
		},
		{
			name:   "redis_url password masked, host kept",
			change: func(c *config.Config) { c.RedisURL = "redis://:s3cr3tpw@cache.internal:6379/0" },
			key:    "redis_url", want: "redis://:*****@cache.internal:6379/0",
		},
		{
			name: "sentinel redis_url passwords masked, hosts kept",
			change: func(c *config.Config) {
				c.RedisURL = "redis+sentinel://:s3cr3tpw@s1:26379,s2:26379/mymaster?sentinel_password=s3cr3tpw"
			},
			key: "redis_url", want: "redis+sentinel://:*****@s1:26379,s2:26379/mymaster?sentinel_password=*****",
		},
		{
			name: "fallback webhook: host kept, path and query hidden",
			change: func(c *config.Config) {
				c.WorkerFallbackWebhook = "https://hooks.example.com/services/T0/s3cr3t?token=s3cr3t"
			},
			key: "worker_fallback_webhook", want: "https://hooks.example.com/*****",
		},
		{
			name:   "fallback webhook with a bare host shown",
			change: func(c *config.Config) { c.WorkerFallbackWebhook = "https://hooks.example.com" },
			key:    "worker_fallback_webhook", want: "https://hooks.example.com",
		},
		{
			name:   "fallback webhook user info hidden",
			change: func(c *config.Config) { c.WorkerFallbackWebhook = "https://ops:s3cr3t@hooks.example.com/" },
			key:    "worker_fallback_webhook", want: "https://hooks.example.com/*****",
		},
		{
			name:   "unparsable fallback webhook fully masked",
			change: func(c *config.Config) { c.WorkerFallbackWebhook = "s3cr3t" },
			key:    "worker_fallback_webhook", want: "*****",
		},
		{
			name:   "dead-man's switch: its ping token hidden, host kept",
			change: func(c *config.Config) { c.DeadmanURL = "https://hc.example.com/ping/5f3c-token" },
			key:    "deadman_url", want: "https://hc.example.com/*****",
		},
		{
			name:   "fallback secret fully masked",
			change: func(c *config.Config) { c.WorkerFallbackSecret = "fallback-secret-0123" },
			key:    "worker_fallback_secret", want: "*****",
		},
		{
			name:   "empty secret stays empty",
			change: func(c *config.Config) {},
			key:    "jwt_secret", want: "",
		},
		{
			name:   "plain setting shown",
			change: func(c *config.Config) { c.MinInterval = 45 * time.Second },
			key:    "min_interval", want: "45s",
		},
		{
			name:   "unset auto_migrate",
			change: func(c *config.Config) {},
			key:    "auto_migrate", want: "(default)",
		},
		{
			name:   "roles joined",
			change: func(c *config.Config) { c.Roles = []string{"api", "worker"} },
			key:    "roles", want: "api,worker",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Defaults()
			tt.change(&cfg)
			var got *config.Setting
			for _, s := range cfg.Effective() {
				if s.Key == tt.key {
					got = &s
				}
			}
			if got == nil {
				t.Fatalf("Effective has no %s", tt.key)
			}
			if got.Env != "BETTERSTACK_"+strings.ToUpper(tt.key) {
				t.Errorf("env = %q", got.Env)
			}
			if tt.want != "" || (tt.show == nil && tt.hide == nil) {
				if got.Value != tt.want {
					t.Errorf("value = %q, want %q", got.Value, tt.want)
				}
			}
			for _, s := range tt.show {
				if !strings.Contains(got.Value, s) {
					t.Errorf("value %q does not show %q", got.Value, s)
				}
			}
			for _, s := range tt.hide {
				if strings.Contains(got.Value, s) {
					t.Errorf("value %q shows %q", got.Value, s)
				}
			}
		})
	}
	t.Run("every key listed once with help", func(t *testing.T) {
		seen := map[string]int{}
		for _, s := range config.Defaults().Effective() {
			seen[s.Key]++
			if s.Help == "" {
				t.Errorf("%s has no help", s.Key)
			}
		}
		for _, k := range keys() {
			if seen[k] != 1 {
				t.Errorf("%s listed %d times", k, seen[k])
			}
		}
	})
}

// TestExampleFile keeps configs/betterstack.example.yaml in step with the
// code: it parses, documents every key with its environment variable, shows
// secrets only commented out, and its values are the defaults.
func TestExampleFile(t *testing.T) {
	raw, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	cfg, err := config.Load(examplePath, env(nil))
	if err != nil {
		t.Fatalf("the example does not load: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("the example does not validate: %v", err)
	}
	if want := config.Defaults(); !reflect.DeepEqual(cfg, want) {
		t.Errorf("the example's values differ from Defaults():\ngot  %+v\nwant %+v", cfg, want)
	}
	secret := map[string]bool{}
	rt := reflect.TypeOf(config.Config{})
	for i := 0; i < rt.NumField(); i++ {
		if rt.Field(i).Tag.Get("secret") == "true" {
			secret[rt.Field(i).Tag.Get("key")] = true
		}
	}
	for _, k := range keys() {
		t.Run(k, func(t *testing.T) {
			set := regexp.MustCompile(`(?m)^` + k + `:`).MatchString(text)
			commented := regexp.MustCompile(`(?m)^# ` + k + `:`).MatchString(text)
			switch {
			case secret[k] && set:
				t.Errorf("secret %s is set; show it only as a commented-out example", k)
			case !set && !commented:
				t.Errorf("%s is missing from %s", k, examplePath)
			}
			if env := "BETTERSTACK_" + strings.ToUpper(k); !strings.Contains(text, "Env: "+env) {
				t.Errorf("%s does not name %s", k, env)
			}
		})
	}
}

// TestSignupAndPrivateTargetDefaults pins the safe defaults: unset, only
// the first account may sign up and private targets are allowed (every
// account is the operator's); opening sign-up to anyone refuses private
// targets unless the operator says otherwise.
func TestSignupAndPrivateTargetDefaults(t *testing.T) {
	on, off := true, false
	for _, tt := range []struct {
		name        string
		signup      *bool
		block       *bool
		wantPolicy  string
		wantBlocked bool
	}{
		{name: "defaults", wantPolicy: config.SignupFirst, wantBlocked: false},
		{name: "open sign-up blocks private targets", signup: &on, wantPolicy: config.SignupOpen, wantBlocked: true},
		{name: "open sign-up, private targets allowed on purpose", signup: &on, block: &off, wantPolicy: config.SignupOpen, wantBlocked: false},
		{name: "closed sign-up", signup: &off, wantPolicy: config.SignupClosed, wantBlocked: false},
		{name: "closed sign-up, blocked on purpose", signup: &off, block: &on, wantPolicy: config.SignupClosed, wantBlocked: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Defaults()
			c.AllowSignup, c.BlockPrivateTargets = tt.signup, tt.block
			if got := c.SignupPolicy(); got != tt.wantPolicy {
				t.Errorf("SignupPolicy() = %q, want %q", got, tt.wantPolicy)
			}
			if got := c.BlockPrivate(); got != tt.wantBlocked {
				t.Errorf("BlockPrivate() = %v, want %v", got, tt.wantBlocked)
			}
		})
	}
}

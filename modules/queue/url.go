package queue

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Topology is the kind of Redis deployment a URL names.
type Topology string

// The deployments ParseRedisURL knows.
const (
	Single   Topology = "single"   // one server (or a managed endpoint)
	Sentinel Topology = "sentinel" // a primary and replicas watched by Sentinel: failover
	Cluster  Topology = "cluster"  // Redis Cluster: scale
)

// RedisURL is a parsed redis_url: the deployment, its client options and
// the queue settings the URL implies.
type RedisURL struct {
	Topology Topology
	// WaitReplicas is the URL's wait_replicas, or its default: 1 behind
	// Sentinel (a Sentinel set-up has at least one replica, and a job the
	// replica does not have is lost in a failover), 0 otherwise. Give it to
	// Config.WaitReplicas.
	WaitReplicas int

	single   *redis.Options
	failover *redis.FailoverOptions
	cluster  *redis.ClusterOptions
}

// NewClient returns a client for the URL's deployment: a *redis.Client for
// one server or Sentinel, a *redis.ClusterClient for a Cluster.
func (u RedisURL) NewClient() redis.UniversalClient {
	switch u.Topology {
	case Sentinel:
		return redis.NewFailoverClient(u.failover)
	case Cluster:
		return redis.NewClusterClient(u.cluster)
	default:
		return redis.NewClient(u.single)
	}
}

// ParseRedisURL parses the three forms of redis_url:
//
//	redis://[[user]:password@]host[:6379][/db]     one server (also rediss://, unix://;
//	                                              go-redis's query options apply)
//	redis+sentinel://[[user]:password@]host[:26379][,host[:26379]...]/master[/db]
//	                                              Sentinel; rediss+sentinel:// for TLS
//	redis+cluster://[[user]:password@]host[:6379][,host[:6379]...]
//	                                              Cluster (database 0 only); rediss+cluster://
//
// The user and password are those of the Redis servers. Sentinel and
// Cluster URLs take these query options: wait_replicas=N (see
// RedisURL.WaitReplicas), and for Sentinel sentinel_username and
// sentinel_password when the sentinels want their own credentials. Errors
// never repeat the URL, which holds a password.
func ParseRedisURL(raw string) (RedisURL, error) {
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok {
		return RedisURL{}, errors.New("must be a URL: redis://host:6379/0, redis+sentinel://host:26379,host:26379/master or redis+cluster://host:6379,host:6379")
	}
	switch scheme {
	case "redis", "rediss", "unix":
		opt, err := redis.ParseURL(raw)
		if err != nil {
			return RedisURL{}, fmt.Errorf("%s URL: %w", scheme, withoutURL(err))
		}
		return RedisURL{Topology: Single, single: opt}, nil
	case "redis+sentinel", "rediss+sentinel":
		return parseSentinelURL(raw, scheme)
	case "redis+cluster", "rediss+cluster":
		return parseClusterURL(raw, scheme)
	default:
		return RedisURL{}, fmt.Errorf("scheme %q: must be redis://, rediss://, unix://, redis+sentinel:// or redis+cluster://", scheme)
	}
}

func parseSentinelURL(raw, scheme string) (RedisURL, error) {
	p, err := splitMultiHostURL(raw, scheme, "26379")
	if err != nil {
		return RedisURL{}, err
	}
	parts := strings.Split(strings.Trim(p.path, "/"), "/")
	if parts[0] == "" || len(parts) > 2 {
		return RedisURL{}, fmt.Errorf("%s URL: the path must be the primary's name as Sentinel knows it, then optionally the database: %s://host:26379,host:26379/mymaster/0", scheme, scheme)
	}
	master, err := url.PathUnescape(parts[0])
	if err != nil {
		return RedisURL{}, fmt.Errorf("%s URL: primary name: %w", scheme, withoutURL(err))
	}
	db := 0
	if len(parts) == 2 {
		if db, err = strconv.Atoi(parts[1]); err != nil || db < 0 {
			return RedisURL{}, fmt.Errorf("%s URL: database %q is not a number", scheme, parts[1])
		}
	}
	q, err := urlOptions(p.query, scheme, "wait_replicas", "sentinel_username", "sentinel_password")
	if err != nil {
		return RedisURL{}, err
	}
	wait, err := waitReplicas(q, scheme, 1)
	if err != nil {
		return RedisURL{}, err
	}
	opt := &redis.FailoverOptions{
		MasterName:       master,
		SentinelAddrs:    p.hosts,
		SentinelUsername: q.Get("sentinel_username"),
		SentinelPassword: q.Get("sentinel_password"),
		Username:         p.user,
		Password:         p.password,
		DB:               db,
	}
	if strings.HasPrefix(scheme, "rediss") {
		opt.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return RedisURL{Topology: Sentinel, WaitReplicas: wait, failover: opt}, nil
}

func parseClusterURL(raw, scheme string) (RedisURL, error) {
	p, err := splitMultiHostURL(raw, scheme, "6379")
	if err != nil {
		return RedisURL{}, err
	}
	if path := strings.Trim(p.path, "/"); path != "" && path != "0" {
		return RedisURL{}, fmt.Errorf("%s URL: a Cluster has only database 0; remove the path %q", scheme, p.path)
	}
	q, err := urlOptions(p.query, scheme, "wait_replicas")
	if err != nil {
		return RedisURL{}, err
	}
	wait, err := waitReplicas(q, scheme, 0)
	if err != nil {
		return RedisURL{}, err
	}
	opt := &redis.ClusterOptions{
		Addrs:    p.hosts,
		Username: p.user,
		Password: p.password,
	}
	if strings.HasPrefix(scheme, "rediss") {
		opt.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return RedisURL{Topology: Cluster, WaitReplicas: wait, cluster: opt}, nil
}

// multiHostURL is a URL whose host part is a comma-separated list, which
// net/url does not parse (it refuses a list of IPv6 literals).
type multiHostURL struct {
	user, password string
	hosts          []string
	path, query    string
}

func splitMultiHostURL(raw, scheme, defaultPort string) (multiHostURL, error) {
	var p multiHostURL
	rest := strings.TrimPrefix(raw, scheme+"://")
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		return p, fmt.Errorf("%s URL: a fragment (#) is not allowed; percent-encode '#' in a password as %%23", scheme)
	}
	rest, p.query, _ = strings.Cut(rest, "?")
	authority := rest
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		authority, p.path = rest[:i], rest[i:]
	}
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		userinfo := authority[:i]
		authority = authority[i+1:]
		user, password, _ := strings.Cut(userinfo, ":")
		var err error
		if p.user, err = url.PathUnescape(user); err != nil {
			return p, fmt.Errorf("%s URL: user name is not properly percent-encoded", scheme)
		}
		if p.password, err = url.PathUnescape(password); err != nil {
			return p, fmt.Errorf("%s URL: password is not properly percent-encoded", scheme)
		}
	}
	if authority == "" {
		return p, fmt.Errorf("%s URL: no host; list one or more as host:port,host:port", scheme)
	}
	for _, h := range strings.Split(authority, ",") {
		addr, err := hostPort(h, defaultPort)
		if err != nil {
			return p, fmt.Errorf("%s URL: host %q: %w", scheme, h, err)
		}
		p.hosts = append(p.hosts, addr)
	}
	return p, nil
}

// hostPort returns h as host:port, with defaultPort when h has none.
func hostPort(h, defaultPort string) (string, error) {
	if h == "" {
		return "", errors.New("empty")
	}
	if !strings.Contains(h, ":") || (strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]")) {
		h += ":" + defaultPort
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		return "", errors.New("must be host or host:port ([addr]:port for IPv6)")
	}
	if host == "" {
		return "", errors.New("no host name")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	return net.JoinHostPort(host, port), nil
}

// urlOptions parses the query and refuses options not in known.
func urlOptions(query, scheme string, known ...string) (url.Values, error) {
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("%s URL: query: %w", scheme, withoutURL(err))
	}
	for k := range q {
		if !slices.Contains(known, k) {
			return nil, fmt.Errorf("%s URL: unknown option %q (known: %s)", scheme, k, strings.Join(known, ", "))
		}
	}
	return q, nil
}

func waitReplicas(q url.Values, scheme string, def int) (int, error) {
	v := q.Get("wait_replicas")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s URL: wait_replicas=%q must be a whole number, 0 or more", scheme, v)
	}
	return n, nil
}

// withoutURL drops the URL that net/url puts in its errors: it may hold a
// password.
func withoutURL(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}

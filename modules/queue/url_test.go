package queue

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseRedisURL(t *testing.T) {
	tests := []struct {
		name     string
		raw      string
		topology Topology
		wait     int
		check    func(t *testing.T, u RedisURL)
	}{
		{"one server", "redis://:pw@cache:6380/2", Single, 0, func(t *testing.T, u RedisURL) {
			if u.single.Addr != "cache:6380" || u.single.Password != "pw" || u.single.DB != 2 {
				t.Errorf("options = %+v", u.single)
			}
		}},
		{"one server over TLS", "rediss://cache", Single, 0, func(t *testing.T, u RedisURL) {
			if u.single.TLSConfig == nil {
				t.Error("no TLS")
			}
		}},
		{"sentinel", "redis+sentinel://:s3cr%40t@s1:26380,s2,[::1]:26381/mymaster/3", Sentinel, 1, func(t *testing.T, u RedisURL) {
			o := u.failover
			if want := []string{"s1:26380", "s2:26379", "[::1]:26381"}; !reflect.DeepEqual(o.SentinelAddrs, want) {
				t.Errorf("sentinels = %v, want %v", o.SentinelAddrs, want)
			}
			if o.MasterName != "mymaster" || o.DB != 3 || o.Password != "s3cr@t" || o.Username != "" || o.TLSConfig != nil {
				t.Errorf("options = %+v", o)
			}
		}},
		{"sentinel with its own credentials, no wait", "rediss+sentinel://app:pw@s1/m?sentinel_username=sen&sentinel_password=spw&wait_replicas=0", Sentinel, 0, func(t *testing.T, u RedisURL) {
			o := u.failover
			if o.SentinelUsername != "sen" || o.SentinelPassword != "spw" || o.Username != "app" || o.Password != "pw" || o.DB != 0 || o.TLSConfig == nil {
				t.Errorf("options = %+v", o)
			}
		}},
		{"cluster", "redis+cluster://n1:7000,n2:7001,n3", Cluster, 0, func(t *testing.T, u RedisURL) {
			if want := []string{"n1:7000", "n2:7001", "n3:6379"}; !reflect.DeepEqual(u.cluster.Addrs, want) {
				t.Errorf("nodes = %v, want %v", u.cluster.Addrs, want)
			}
		}},
		{"cluster, database 0, waiting", "rediss+cluster://u:p@n1/0?wait_replicas=1", Cluster, 1, func(t *testing.T, u RedisURL) {
			if u.cluster.Username != "u" || u.cluster.Password != "p" || u.cluster.TLSConfig == nil {
				t.Errorf("options = %+v", u.cluster)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := ParseRedisURL(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if u.Topology != tt.topology || u.WaitReplicas != tt.wait {
				t.Errorf("topology %s, wait_replicas %d; want %s, %d", u.Topology, u.WaitReplicas, tt.topology, tt.wait)
			}
			tt.check(t, u)
			c := u.NewClient()
			defer c.Close()
		})
	}
}

func TestParseRedisURLErrors(t *testing.T) {
	tests := []struct {
		name, raw string
		want      string
	}{
		{"not a URL", "cache:6379", "must be a URL"},
		{"unknown scheme", "http://cache", "redis+sentinel://"},
		{"bad port", "redis://:hunter2@cache:port", "port"},
		{"sentinel without master", "redis+sentinel://:hunter2@s1,s2", "primary's name"},
		{"sentinel with a bad database", "redis+sentinel://:hunter2@s1/m/x", "database"},
		{"sentinel with an empty host", "redis+sentinel://:hunter2@s1,,s2/m", "empty"},
		{"sentinel with a bad port", "redis+sentinel://:hunter2@s1:0/m", "port"},
		{"sentinel with an unknown option", "redis+sentinel://:hunter2@s1/m?pool=3", `unknown option "pool"`},
		{"negative wait", "redis+sentinel://:hunter2@s1/m?wait_replicas=-1", "wait_replicas"},
		{"cluster with a database", "redis+cluster://:hunter2@n1/1", "only database 0"},
		{"cluster without hosts", "redis+cluster://:hunter2@/", "no host"},
		{"fragment", "redis+cluster://:hunt#er2@n1", "fragment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRedisURL(tt.raw)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "er2") {
				t.Errorf("error %q repeats the password", err)
			}
		})
	}
}

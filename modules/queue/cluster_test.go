package queue

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/betterstack/betterstack/modules/testenv"
)

// clusterSlots splits the 16384 slots over three primaries.
var clusterSlots = [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}}

// startCluster runs a Redis Cluster of three primaries (no replicas) on
// loopback ports and returns their addresses once every node agrees the
// cluster is up (about 2 s: a new primary waits that long before it
// declares the cluster writable).
func startCluster(t *testing.T) []string {
	t.Helper()
	nodes := make([]*redisProc, len(clusterSlots))
	bus := make([]int, len(clusterSlots))
	for i := range nodes {
		nodes[i] = startRedis(t, fmt.Sprintf("cluster node %d", i+1), func(port int, dir string) []string {
			bus[i] = freePorts(t, 1)[0]
			return append(serverArgs(port, dir), "--cluster-enabled", "yes",
				"--cluster-config-file", filepath.Join(dir, "nodes.conf"),
				"--cluster-port", strconv.Itoa(bus[i]), "--cluster-node-timeout", "2000")
		})
	}
	ctx := t.Context()
	clients := make([]*redis.Client, len(nodes))
	addrs := make([]string, len(nodes))
	for i, n := range nodes {
		clients[i], addrs[i] = n.client(t), n.addr
		if err := clients[i].ClusterAddSlotsRange(ctx, clusterSlots[i][0], clusterSlots[i][1]).Err(); err != nil {
			t.Fatalf("CLUSTER ADDSLOTSRANGE on %s: %v", n.addr, err)
		}
	}
	for i := 1; i < len(nodes); i++ {
		if err := clients[0].Do(ctx, "CLUSTER", "MEET", "127.0.0.1", nodes[i].port, bus[i]).Err(); err != nil {
			t.Fatalf("CLUSTER MEET %s: %v", nodes[i].addr, err)
		}
	}
	waitFor(t, 10*time.Second, "cluster state ok on every node", func() (bool, error) {
		for _, c := range clients {
			info, err := c.ClusterInfo(ctx).Result()
			if err != nil {
				return false, err
			}
			if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:3") ||
				!strings.Contains(info, "cluster_slots_ok:16384") {
				return false, nil
			}
		}
		return true, nil
	})
	return addrs
}

// TestClusterConformance runs the conformance suite on a real three-primary
// Redis Cluster: every script, MULTI and multi-key read of the queue must
// keep to one slot, or Redis refuses it with CROSSSLOT.
func TestClusterConformance(t *testing.T) {
	start := time.Now()
	addrs := startCluster(t)
	t.Logf("cluster of %d primaries up in %v", len(addrs), time.Since(start).Round(time.Millisecond))
	newClient := func(t *testing.T) *redis.ClusterClient {
		c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}

	t.Run("a region's keys share a slot, regions spread over nodes", func(t *testing.T) {
		c := newClient(t)
		q := NewRedis(c, Config{Prefix: "bstest:" + testenv.Suffix() + ":"})
		slot := func(key string) int64 {
			t.Helper()
			n, err := c.ClusterKeySlot(t.Context(), key).Result()
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		nodes := make(map[int]bool)
		for _, region := range regionsAcross {
			want := slot(q.jobsKey(region))
			for _, key := range []string{q.resultsKey(region), q.dedupeKey(region, "1:1"), q.workersKey(region)} {
				if got := slot(key); got != want {
					t.Errorf("slot of %s = %d, want %d (the slot of %s)", key, got, want, q.jobsKey(region))
				}
			}
			for i, r := range clusterSlots {
				if int(want) >= r[0] && int(want) <= r[1] {
					nodes[i] = true
				}
			}
		}
		if len(nodes) < 2 {
			t.Errorf("regions %v all live on one node: the multi-region cases would not span servers", regionsAcross)
		}
	})

	t.Run("conformance", func(t *testing.T) {
		runConformance(t, func(t *testing.T, cfg Config) harness {
			cfg.Prefix = "bstest:" + testenv.Suffix() + ":"
			q := NewRedis(newClient(t), cfg)
			return harness{q: q, peer: func() queueUnderTest { return NewRedis(newClient(t), cfg) }}
		})
	})

	t.Run("skipped counts and lateness of regions on different nodes", func(t *testing.T) {
		q := NewRedis(newClient(t), Config{Prefix: "bstest:" + testenv.Suffix() + ":"})
		ctx := t.Context()
		for i, region := range regionsAcross {
			for _, n := range []int64{int64(i + 1), 10} {
				if err := q.RecordSkipped(ctx, region, n); err != nil {
					t.Fatalf("RecordSkipped(%s): %v", region, err)
				}
			}
			if got, err := q.Skipped(ctx, region, time.Minute); err != nil || got != int64(i+11) {
				t.Errorf("Skipped(%s) = %d, %v; want %d", region, got, err, i+11)
			}
			late := testJob(fmt.Sprintf("late-%d", i), region)
			late.ScheduledAt = time.Now().Add(-time.Minute) // published after its slot
			mustPublish(t, q, 1, late)
			if got, err := q.JobLate(ctx, region); err != nil || got < 0 || got > 10*time.Second {
				t.Errorf("JobLate(%s) = %v, %v; want the few milliseconds since publication", region, got, err)
			}
		}
	})

	t.Run("ping reaches every primary", func(t *testing.T) {
		q := NewRedis(newClient(t), Config{})
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if err := q.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

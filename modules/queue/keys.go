package queue

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Keys of a region carry the region as their hash tag ("{eu}"), so that in
// a Redis Cluster they live in one slot and every script and MULTI on them
// is allowed. The package doc lists the layout.

func (r *Redis) tagged(region, name string) string {
	return r.cfg.Prefix + "{" + region + "}:" + name
}

func (r *Redis) jobsKey(region string) string    { return r.tagged(region, "jobs") }
func (r *Redis) resultsKey(region string) string { return r.tagged(region, "results") }
func (r *Redis) workersKey(region string) string { return r.tagged(region, "workers") }
func (r *Redis) dedupeKey(region, jobID string) string {
	return r.tagged(region, "job:"+jobID)
}

// regionsKey and resultRegionsKey are the only keys without a tag: each is
// used alone.
func (r *Redis) regionsKey() string       { return r.cfg.Prefix + "regions" }
func (r *Redis) resultRegionsKey() string { return r.cfg.Prefix + "result-regions" }

// Keys of the previous release's layout, read only to move or drain what it
// left behind (see legacy.go).
func (r *Redis) legacyJobsKey(region string) string { return r.cfg.Prefix + "jobs:" + region }
func (r *Redis) legacyResultsKey() string           { return r.cfg.Prefix + "results" }

// clustered reports whether the client talks to a Redis Cluster, where a
// command may only touch keys of one slot.
func (r *Redis) clustered() bool {
	_, ok := r.client.(*redis.ClusterClient)
	return ok
}

// nodeFor returns a client of the server that holds key: the client itself
// for one server (or Sentinel's current primary), the primary of key's slot
// in a Cluster. Commands that must share a connection (a blocking read and
// its CLIENT UNBLOCK, a write and its WAIT) go through it.
func (r *Redis) nodeFor(ctx context.Context, key string) (*redis.Client, error) {
	switch c := r.client.(type) {
	case *redis.Client:
		return c, nil
	case *redis.ClusterClient:
		node, err := c.MasterForKey(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("queue: cluster node of %s: %w", key, err)
		}
		return node, nil
	default:
		return nil, fmt.Errorf("queue: unsupported Redis client %T (want *redis.Client or *redis.ClusterClient)", r.client)
	}
}

package queue

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// sourcesMaxAge is how long an alerter trusts its list of results streams.
// A blocked read also looks for new regions this often, so the first
// result of a region never seen before waits at most this long.
const sourcesMaxAge = 250 * time.Millisecond

// source is one results stream: a region's, or (region "") the previous
// release's single stream while it still holds results.
type source struct {
	region string
	key    string
}

// sourceCache remembers the results streams and which of them surely have
// the alerters' group.
type sourceCache struct {
	mu      sync.Mutex
	at      time.Time
	list    []source
	grouped map[string]bool
}

func (c *sourceCache) invalidate() {
	c.mu.Lock()
	c.at = time.Time{}
	c.mu.Unlock()
}

// resultSources lists the results streams, looked up again when the list is
// older than maxAge. A region's stream is known from the result-regions set
// (written before any result, see registerResults) and from the heartbeat
// register; the group is created on streams seen for the first time, so a
// read over several streams does not fail for one that has none yet.
func (r *Redis) resultSources(ctx context.Context, maxAge time.Duration) ([]source, error) {
	c := &r.sources
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < maxAge {
		return c.list, nil
	}
	var announced, beating *redis.StringSliceCmd
	var legacy *redis.Cmd
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		announced = p.SMembers(ctx, r.resultRegionsKey())
		beating = p.HKeys(ctx, r.regionsKey())
		if !r.clustered() {
			legacy = r.legacyResultsLeft(ctx, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("queue: list results streams: %w", err)
	}
	seen := make(map[string]bool)
	for _, region := range append(announced.Val(), beating.Val()...) {
		seen[region] = true
	}
	r.regMu.Lock()
	for region := range r.registered {
		seen[region] = true
	}
	r.regMu.Unlock()
	regions := make([]string, 0, len(seen))
	for region := range seen {
		if validateRegion(region) == nil {
			regions = append(regions, region)
		}
	}
	sort.Strings(regions)

	list := make([]source, 0, len(regions)+1)
	if legacy != nil {
		if n, _ := legacy.Int64(); n > 0 {
			list = append(list, source{region: "", key: r.legacyResultsKey()})
		}
	}
	for _, region := range regions {
		list = append(list, source{region: region, key: r.resultsKey(region)})
	}
	if c.grouped == nil {
		c.grouped = make(map[string]bool)
	}
	for _, s := range list {
		if c.grouped[s.key] {
			continue
		}
		if err := r.createGroup(ctx, s.key, groupAlerters); err != nil {
			return nil, err
		}
		c.grouped[s.key] = true
	}
	c.list, c.at = list, time.Now()
	return list, nil
}

// resultID is the delivery ID of entry id of region's results stream:
// "<entry id>@<region>", so AckResults knows the stream. Entries of the
// previous release's stream keep their bare entry ID.
func resultID(region, id string) string {
	if region == "" {
		return id
	}
	return id + "@" + region
}

// parseResultID splits a result delivery ID into region ("" for the
// previous release's stream) and entry ID.
func parseResultID(s string) (region, id string, err error) {
	id, region, tagged := strings.Cut(s, "@")
	if err := validateIDs(id); err != nil {
		return "", "", err
	}
	if tagged {
		if err := validateRegion(region); err != nil {
			return "", "", fmt.Errorf("%w: delivery id %q", ErrInvalid, s)
		}
	}
	return region, id, nil
}

// resultsStream is the stream a delivery of region came from.
func (r *Redis) resultsStream(region string) string {
	if region == "" {
		return r.legacyResultsKey()
	}
	return r.resultsKey(region)
}

// ReadResults returns up to count new results of any region for consumer,
// waiting up to block for the first one; see ReadJobs. Regions are read
// one after another, starting with a different one each time, so a busy
// region cannot starve the others. A wait covers every region at once
// (in a Cluster, one blocked read per region, in parallel); when results
// arrive in two regions at the same instant it may return up to count of
// each rather than count in all.
func (r *Redis) ReadResults(ctx context.Context, consumer string, count int, block time.Duration) ([]ResultDelivery, error) {
	if err := validateNames(consumer); err != nil {
		return nil, err
	}
	if err := r.alive(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(block)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sources, err := r.resultSources(ctx, sourcesMaxAge)
		if err != nil {
			return nil, err
		}
		raw, err := r.readResultsNow(ctx, sources, consumer, count)
		if err != nil {
			return nil, err
		}
		wait := time.Until(deadline)
		if len(raw) == 0 && block > 0 && wait > 0 {
			// Wait in short rounds, so a region that appears meanwhile is
			// read from within sourcesMaxAge.
			raw, err = r.waitResults(ctx, sources, consumer, count, min(wait, sourcesMaxAge))
			if err != nil {
				return nil, err
			}
			if len(raw) == 0 && time.Until(deadline) > 0 {
				continue
			}
		}
		out, bad := decodeResults(raw)
		return out, r.discardResults(ctx, bad)
	}
}

// readResultsNow reads the sources one by one without waiting, from a
// rotating start, until count entries were read.
func (r *Redis) readResultsNow(ctx context.Context, sources []source, consumer string, count int) ([]rawEntry, error) {
	var raw []rawEntry
	if len(sources) == 0 {
		return nil, nil
	}
	first := int(r.rotate.Add(1) % uint64(len(sources)))
	for i := range sources {
		s := sources[(first+i)%len(sources)]
		want := 0
		if count > 0 {
			want = count - len(raw)
		}
		msgs, err := r.readNow(ctx, s.key, groupAlerters, consumer, want)
		if err != nil {
			return nil, r.readError(s.key, err)
		}
		raw = append(raw, rawEntries(msgs, fieldResult, s.region)...)
		if count > 0 && len(raw) >= count {
			break
		}
	}
	return raw, nil
}

// waitResults waits up to block for new results in any of the sources. On
// one server every stream is in one blocking read; in a Cluster each
// region's stream is in another slot, so each has its own blocked read, and
// the first to return ends the others.
func (r *Redis) waitResults(ctx context.Context, sources []source, consumer string, count int, block time.Duration) ([]rawEntry, error) {
	if len(sources) == 0 {
		return nil, r.sleep(ctx, block)
	}
	region := make(map[string]string, len(sources))
	var shards [][]string
	for _, s := range sources {
		region[s.key] = s.region
		if r.clustered() || len(shards) == 0 {
			shards = append(shards, []string{s.key})
		} else {
			shards[0] = append(shards[0], s.key)
		}
	}
	streams, err := r.waitAny(ctx, shards, consumer, count, block)
	var raw []rawEntry
	for _, s := range streams {
		raw = append(raw, rawEntries(s.Messages, fieldResult, region[s.Stream])...)
	}
	if len(raw) > 0 {
		return raw, nil
	}
	if err != nil {
		return nil, r.readError("results", err)
	}
	return nil, nil
}

// waitAny runs one blocking read per shard and returns what they read once
// the first one returns entries or an error, or all time out.
func (r *Redis) waitAny(ctx context.Context, shards [][]string, consumer string, count int, block time.Duration) ([]redis.XStream, error) {
	if len(shards) == 1 {
		return r.readWait(ctx, shards[0], groupAlerters, consumer, count, block)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type reply struct {
		streams []redis.XStream
		err     error
	}
	replies := make(chan reply, len(shards))
	var wg sync.WaitGroup
	for _, shard := range shards {
		wg.Go(func() {
			s, err := r.readWait(wctx, shard, groupAlerters, consumer, count, block)
			replies <- reply{s, err}
		})
	}
	var out []redis.XStream
	var firstErr error
	for range shards {
		rep := <-replies
		out = append(out, rep.streams...)
		if countMessages(rep.streams) > 0 || rep.err != nil {
			cancel()
		}
		// A sibling cut short by cancel reports context.Canceled: not an error.
		if rep.err != nil && firstErr == nil && (ctx.Err() != nil || !errors.Is(rep.err, context.Canceled)) {
			firstErr = rep.err
		}
	}
	wg.Wait()
	return out, firstErr
}

// sleep waits for d, or less if ctx ends or the queue closes.
func (r *Redis) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-r.closing.Done():
		return ErrClosed
	}
}

// ClaimResults takes over up to count results of any region that have been
// pending with any consumer for at least minIdle (count <= 0: all of them).
func (r *Redis) ClaimResults(ctx context.Context, consumer string, minIdle time.Duration, count int) ([]ResultDelivery, error) {
	if err := validateNames(consumer); err != nil {
		return nil, err
	}
	if err := r.alive(); err != nil {
		return nil, err
	}
	sources, err := r.resultSources(ctx, sourcesMaxAge)
	if err != nil {
		return nil, err
	}
	var raw []rawEntry
	for _, s := range sources {
		want := 0
		if count > 0 {
			want = count - len(raw)
		}
		msgs, err := r.claim(ctx, s.key, groupAlerters, consumer, minIdle, want)
		if err != nil {
			return nil, err
		}
		raw = append(raw, rawEntries(msgs, fieldResult, s.region)...)
		if count > 0 && len(raw) >= count {
			break
		}
	}
	out, bad := decodeResults(raw)
	return out, r.discardResults(ctx, bad)
}

// AckResults acks and deletes results, in one MULTI per region.
func (r *Redis) AckResults(ctx context.Context, ids ...string) error {
	if err := r.alive(); err != nil {
		return err
	}
	byStream, order, err := r.groupResultIDs(ids)
	if err != nil {
		return err
	}
	for _, stream := range order {
		if err := r.ackDelete(ctx, stream, groupAlerters, byStream[stream]...); err != nil {
			return err
		}
	}
	return nil
}

// groupResultIDs sorts delivery IDs by the stream they came from.
func (r *Redis) groupResultIDs(ids []string) (map[string][]string, []string, error) {
	byStream := make(map[string][]string)
	var order []string
	for _, d := range ids {
		region, id, err := parseResultID(d)
		if err != nil {
			return nil, nil, err
		}
		stream := r.resultsStream(region)
		if _, ok := byStream[stream]; !ok {
			order = append(order, stream)
		}
		byStream[stream] = append(byStream[stream], id)
	}
	return byStream, order, nil
}

// discardResults acks, deletes and counts results that did not decode.
func (r *Redis) discardResults(ctx context.Context, bad []string) error {
	if len(bad) == 0 {
		return nil
	}
	byStream, order, err := r.groupResultIDs(bad)
	if err != nil {
		return err
	}
	for _, stream := range order {
		if err := r.discard(ctx, stream, groupAlerters, byStream[stream]); err != nil {
			return err
		}
	}
	return nil
}

// ResultBacklog returns how many results of all regions are unread or
// pending, for example while the database is down.
func (r *Redis) ResultBacklog(ctx context.Context) (int64, error) {
	if err := r.alive(); err != nil {
		return 0, err
	}
	sources, err := r.resultSources(ctx, 0)
	if err != nil {
		return 0, fmt.Errorf("queue: result backlog: %w", err)
	}
	lens := make([]*redis.IntCmd, len(sources))
	_, err = r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, s := range sources {
			lens[i] = p.XLen(ctx, s.key)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("queue: result backlog: %w", err)
	}
	var n int64
	for _, l := range lens {
		n += l.Val()
	}
	return n, nil
}

package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/betterstack/betterstack/modules/testenv"
)

// sentinelSet is a primary, one replica and three sentinels on loopback.
type sentinelSet struct {
	primary, replica *redisProc
	sentinels        []*redisProc
	master           string // the name the sentinels know the primary by
}

// startSentinelSet starts the servers and returns once the replica is in
// sync and every sentinel knows the replica.
func startSentinelSet(t *testing.T) *sentinelSet {
	t.Helper()
	s := &sentinelSet{master: "bsmaster"}
	// A full resync (the old primary rejoining as a replica) starts at once,
	// not after the default 5 s wait for more replicas.
	fast := []string{"--repl-diskless-sync-delay", "0"}
	s.primary = startRedis(t, "primary", func(port int, dir string) []string {
		return append(serverArgs(port, dir), fast...)
	})
	s.replica = startRedis(t, "replica", func(port int, dir string) []string {
		return append(append(serverArgs(port, dir), fast...), "--replicaof", "127.0.0.1", strconv.Itoa(s.primary.port))
	})
	ctx := t.Context()
	rc := s.replica.client(t)
	waitFor(t, 10*time.Second, "replica in sync with the primary", func() (bool, error) {
		info, err := rc.Info(ctx, "replication").Result()
		return infoField(info, "master_link_status") == "up", err
	})
	for i := range 3 {
		s.sentinels = append(s.sentinels, startRedis(t, fmt.Sprintf("sentinel %d", i+1), func(port int, dir string) []string {
			conf := writeFile(t, dir, "sentinel.conf", fmt.Sprintf(`port %d
bind 127.0.0.1
dir %s
sentinel monitor %s 127.0.0.1 %d 2
sentinel down-after-milliseconds %s 1000
sentinel failover-timeout %s 10000
`, port, dir, s.master, s.primary.port, s.master, s.master))
			return []string{conf, "--sentinel", "--logfile", ""}
		}))
	}
	for _, sen := range s.sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: sen.addr})
		t.Cleanup(func() { _ = sc.Close() })
		waitFor(t, 10*time.Second, sen.name+" knows the replica", func() (bool, error) {
			replicas, err := sc.Replicas(ctx, s.master).Result()
			if err != nil || len(replicas) != 1 {
				return false, err
			}
			r := replicas[0]
			return r["port"] == strconv.Itoa(s.replica.port) && r["flags"] == "slave" && r["master-link-status"] == "ok", nil
		})
	}
	return s
}

// url is the queue's redis_url for this set.
func (s *sentinelSet) url() string {
	addrs := make([]string, len(s.sentinels))
	for i, sen := range s.sentinels {
		addrs[i] = sen.addr
	}
	return "redis+sentinel://" + strings.Join(addrs, ",") + "/" + s.master
}

// primaryAddr is the primary as the first sentinel sees it.
func (s *sentinelSet) primaryAddr(ctx context.Context) (string, error) {
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.sentinels[0].addr})
	defer sc.Close()
	hp, err := sc.GetMasterAddrByName(ctx, s.master).Result()
	if err != nil {
		return "", err
	}
	return strings.Join(hp, ":"), nil
}

// infoField returns a field of an INFO reply.
func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return v
		}
	}
	return ""
}

// replicaOffset returns the replication offset the primary's first replica
// has confirmed, from the primary's INFO.
func replicaOffset(info string) int64 {
	for _, kv := range strings.Split(infoField(info, "slave0"), ",") {
		if v, ok := strings.CutPrefix(kv, "offset="); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

// ledger records what happened to each job ("<region>/<id>") in a run.
type ledger struct {
	mu        sync.Mutex
	published map[string]time.Time // when its publish succeeded
	runs      map[string]int       // times a worker completed it
	delivered map[string]int       // times the alerter got its result
	acked     map[string]int       // times the alerter acked it
	firstAck  map[string]time.Time
	ackTimes  []time.Time    // every successful AckResults
	pubTimes  []time.Time    // every successful PublishJobs
	pubErrors map[string]int // publish errors by kind
}

func newLedger() *ledger {
	return &ledger{published: map[string]time.Time{}, runs: map[string]int{}, delivered: map[string]int{},
		acked: map[string]int{}, firstAck: map[string]time.Time{}, pubErrors: map[string]int{}}
}

func (l *ledger) do(f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f()
}

// TestSentinelFailover runs pushers, workers of two regions and an alerter
// through a Sentinel failover (SENTINEL FAILOVER in the middle of the run)
// and checks the at-least-once contract as the queue states it:
//
//   - no job lost: every job whose PublishJobs succeeded has its result
//     acked by the alerter, and afterwards nothing is left in any stream;
//   - nothing done twice that was finished before the failover: a job whose
//     result was acked (and replicated) before it is never run or delivered
//     again; only work in flight around the failover may be repeated;
//   - delivery resumes within the failover time.
func TestSentinelFailover(t *testing.T) {
	s := startSentinelSet(t)
	ru, err := ParseRedisURL(s.url())
	if err != nil {
		t.Fatal(err)
	}
	if ru.Topology != Sentinel || ru.WaitReplicas != 1 {
		t.Fatalf("parsed %+v; want Sentinel with wait_replicas 1", ru)
	}
	cfg := Config{Prefix: "bstest:" + testenv.Suffix() + ":", WaitReplicas: ru.WaitReplicas}
	// Each role is a process of its own, with its own connections.
	open := func() *Redis {
		c := ru.NewClient()
		t.Cleanup(func() { _ = c.Close() })
		return NewRedis(c, cfg)
	}
	oldPrimary, err := s.primaryAddr(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	const claimIdle = time.Second
	regions := []string{"eu", "us"}
	l := newLedger()
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	pushCtx, stopPush := context.WithCancel(ctx)
	defer stopPush()
	var wg sync.WaitGroup

	// The pusher: a batch of one job per region every 10 ms; a batch that
	// fails is published again until it succeeds, as the pusher role does.
	pusher := open()
	wg.Go(func() {
		for seq := 0; pushCtx.Err() == nil; seq++ {
			var batch []Job
			for _, region := range regions {
				batch = append(batch, testJob(fmt.Sprintf("%d:1", seq), region))
			}
			for ctx.Err() == nil {
				_, err := pusher.PublishJobs(ctx, batch)
				if err == nil {
					now := time.Now()
					l.do(func() {
						l.pubTimes = append(l.pubTimes, now)
						for _, j := range batch {
							l.published[j.Region+"/"+j.ID] = now
						}
					})
					break
				}
				l.do(func() { l.pubErrors[errorKind(err)]++ })
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})

	// Two workers per region: read, claim what a peer left, complete; a
	// completion that fails is retried (it is idempotent).
	for _, region := range regions {
		for w := range 2 {
			q, name := open(), fmt.Sprintf("%s-w%d", region, w)
			wg.Go(func() {
				lastClaim := time.Now()
				for ctx.Err() == nil {
					var ds []JobDelivery
					var err error
					if time.Since(lastClaim) > claimIdle/2 {
						lastClaim = time.Now()
						ds, err = q.ClaimJobs(ctx, region, name, claimIdle, 50)
					}
					if err == nil && len(ds) == 0 {
						ds, err = q.ReadJobs(ctx, region, name, 50, 200*time.Millisecond)
					}
					if err != nil || len(ds) == 0 {
						if err != nil {
							time.Sleep(50 * time.Millisecond)
						}
						continue
					}
					cs := make([]Completion, len(ds))
					for i, d := range ds {
						cs[i] = Completion{DeliveryID: d.ID, Result: Result{JobID: d.Job.ID, Region: region, WorkerID: name}}
					}
					for ctx.Err() == nil {
						n, err := q.CompleteJobs(ctx, region, cs)
						if err == nil {
							if n > 0 {
								l.do(func() {
									for _, d := range ds {
										l.runs[region+"/"+d.Job.ID]++
									}
								})
							}
							break
						}
						time.Sleep(50 * time.Millisecond)
					}
				}
			})
		}
	}

	// The alerter: read and claim results of every region, ack them.
	alerter := open()
	wg.Go(func() {
		lastClaim := time.Now()
		for ctx.Err() == nil {
			var rs []ResultDelivery
			var err error
			if time.Since(lastClaim) > claimIdle/2 {
				lastClaim = time.Now()
				rs, err = alerter.ClaimResults(ctx, "alerter", claimIdle, 200)
			}
			if err == nil && len(rs) == 0 {
				rs, err = alerter.ReadResults(ctx, "alerter", 200, 200*time.Millisecond)
			}
			if err != nil || len(rs) == 0 {
				if err != nil {
					time.Sleep(50 * time.Millisecond)
				}
				continue
			}
			ids := make([]string, len(rs))
			for i, r := range rs {
				ids[i] = r.ID
			}
			l.do(func() {
				for _, r := range rs {
					l.delivered[r.Result.Region+"/"+r.Result.JobID]++
				}
			})
			for ctx.Err() == nil {
				if err := alerter.AckResults(ctx, ids...); err == nil {
					now := time.Now()
					l.do(func() {
						l.ackTimes = append(l.ackTimes, now)
						for _, r := range rs {
							key := r.Result.Region + "/" + r.Result.JobID
							l.acked[key]++
							if _, ok := l.firstAck[key]; !ok {
								l.firstAck[key] = now
							}
						}
					})
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	})

	ackedCount := func() int {
		n := 0
		l.do(func() { n = len(l.acked) })
		return n
	}
	waitFor(t, 10*time.Second, "100 jobs through the pipeline before the failover", func() (bool, error) {
		return ackedCount() >= 100, nil
	})

	// Everything acked so far is done; make sure the replica has it, then
	// fail over.
	done := make(map[string]bool)
	l.do(func() {
		for k := range l.acked {
			done[k] = true
		}
	})
	pc := s.primary.client(t)
	info, err := pc.Info(t.Context(), "replication").Result()
	if err != nil {
		t.Fatal(err)
	}
	offset, _ := strconv.ParseInt(infoField(info, "master_repl_offset"), 10, 64)
	waitFor(t, 5*time.Second, "the replica confirms what was acked", func() (bool, error) {
		info, err := pc.Info(t.Context(), "replication").Result()
		return replicaOffset(info) >= offset, err
	})
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.sentinels[0].addr})
	t.Cleanup(func() { _ = sc.Close() })
	failoverAt := time.Now()
	waitFor(t, 5*time.Second, "SENTINEL FAILOVER accepted", func() (bool, error) {
		err := sc.Failover(t.Context(), s.master).Err()
		return err == nil, err // NOGOODSLAVE while the sentinel's view is stale
	})
	waitFor(t, 15*time.Second, "the sentinels name the replica as primary", func() (bool, error) {
		addr, err := s.primaryAddr(t.Context())
		return err == nil && addr != oldPrimary, err
	})
	switchedAt := time.Now()
	// Delivery has resumed when jobs published after the switch go all the
	// way through.
	waitFor(t, 15*time.Second, "50 jobs published after the switch reach the alerter", func() (bool, error) {
		n := 0
		l.do(func() {
			for k, at := range l.published {
				if _, ok := l.firstAck[k]; ok && at.After(switchedAt) {
					n++
				}
			}
		})
		return n >= 50, nil
	})
	// Stop publishing and wait for the rest.
	stopPush()
	check := open()
	waitFor(t, 15*time.Second, "every published job acked and every stream empty", func() (bool, error) {
		missing := 0
		l.do(func() {
			for k := range l.published {
				if l.acked[k] == 0 {
					missing++
				}
			}
		})
		if missing > 0 {
			return false, fmt.Errorf("%d jobs not acked yet", missing)
		}
		left, err := check.ResultBacklog(t.Context())
		if err != nil || left > 0 {
			return false, fmt.Errorf("results left: %d, %v", left, err)
		}
		for _, region := range regions {
			if n, err := check.Backlog(t.Context(), region); err != nil || n > 0 {
				return false, fmt.Errorf("jobs left in %s: %d, %v", region, n, err)
			}
		}
		return true, nil
	})
	stop()
	wg.Wait()

	// How the failover looked from the roles: how long until the jobs
	// published before it were all through, and the longest time without a
	// successful publish and without an acked result.
	var inFlight, publishPause, deliveryPause time.Duration
	longestGap := func(times []time.Time) time.Duration {
		var gap time.Duration
		prev := failoverAt
		for _, at := range times {
			if at.After(prev) {
				gap, prev = max(gap, at.Sub(prev)), at
			}
		}
		return gap
	}
	l.do(func() {
		for k, at := range l.published {
			if at.Before(failoverAt) {
				inFlight = max(inFlight, l.firstAck[k].Sub(failoverAt))
			}
		}
		publishPause, deliveryPause = longestGap(l.pubTimes), longestGap(l.ackTimes)
	})
	info, err = pc.Info(t.Context(), "replication").Result()
	if err != nil || infoField(info, "role") != "slave" {
		t.Errorf("old primary: role %q, %v; want it back as a replica", infoField(info, "role"), err)
	}

	l.do(func() {
		for k := range done {
			if l.runs[k] != 1 || l.delivered[k] != 1 || l.acked[k] != 1 {
				t.Errorf("job %s, finished before the failover: run %d times, delivered %d, acked %d; want once each",
					k, l.runs[k], l.delivered[k], l.acked[k])
			}
		}
		reruns, redeliveries := 0, 0
		for k := range l.published {
			reruns += max(l.runs[k]-1, 0)
			redeliveries += max(l.delivered[k]-1, 0)
		}
		t.Logf("%d jobs published, %d finished before the failover; sentinels switched after %v; "+
			"jobs queued before the failover all through after %v; longest time without a publish %v, without a result %v; "+
			"around the failover %d jobs ran again and %d results were delivered again; publish errors retried: %v",
			len(l.published), len(done), switchedAt.Sub(failoverAt).Round(time.Millisecond),
			inFlight.Round(time.Millisecond), publishPause.Round(time.Millisecond), deliveryPause.Round(time.Millisecond),
			reruns, redeliveries, l.pubErrors)
	})
	// Work already queued goes on as soon as the clients follow the switch
	// (a failover took 1-3 s here; 10 s allows for a slow machine).
	if inFlight > 10*time.Second {
		t.Errorf("jobs published before the failover took %v after it to be acked, want within 10s", inFlight)
	}
	// Publishing waits for a replica (WaitReplicas 1): the new primary has
	// none until Sentinel turns the old primary into one, which it does 8 s
	// after seeing it claim to be primary still. About 9-10 s here.
	if publishPause > 20*time.Second || deliveryPause > 20*time.Second {
		t.Errorf("no publish for %v, no result for %v around the failover; want both back within 20s", publishPause, deliveryPause)
	}
}

// errorKind names an error for the run's summary.
func errorKind(err error) string {
	if errors.Is(err, ErrNotReplicated) {
		return "not replicated"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	if len(msg) > 40 {
		msg = msg[:40]
	}
	return msg
}

// TestRedisWaitReplicas: with WaitReplicas, a publish that no replica
// confirms fails with ErrNotReplicated, every time it is retried, although
// the job is in the stream (once): the pusher publishes it again until a
// replica has it.
func TestRedisWaitReplicas(t *testing.T) {
	q, c := newRedis(t, Config{})
	info, err := c.Info(t.Context(), "replication").Result()
	if err != nil {
		t.Fatal(err)
	}
	replicas, err := strconv.Atoi(infoField(info, "connected_slaves"))
	if err != nil {
		t.Fatalf("connected_slaves: %v", err)
	}
	q = NewRedis(c, Config{Prefix: q.cfg.Prefix, WaitReplicas: replicas + 1, WaitTimeout: 50 * time.Millisecond})
	for i, want := range []int{1, 0} {
		n, err := q.PublishJobs(t.Context(), []Job{testJob("1:1", "eu")})
		if !errors.Is(err, ErrNotReplicated) || n != want {
			t.Fatalf("publish %d with more replicas asked for than there are: %d, %v; want %d, ErrNotReplicated", i+1, n, err, want)
		}
	}
	wantBacklog(t, q, "eu", 1)
}

package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisServer is a redis-server of the test's own, on a loopback port and
// a directory that outlive a kill, for tests of what happens while Redis is
// gone: Kill ends it at once (SIGKILL), Start brings it back on the same
// port and data. Its append-only file is fsync'd on every write, so a
// restart has every stream entry Redis acknowledged, as a real Redis with
// appendfsync always would.
type RedisServer struct {
	t      testing.TB
	bin    string
	port   int
	dir    string
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// NewRedisServer starts a RedisServer, killed when the test ends. Without
// a redis-server binary the test is skipped, or fails under
// BETTERSTACK_TEST_STRICT=1.
func NewRedisServer(t testing.TB) *RedisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if Strict() {
			t.Fatalf("redis-server is required (BETTERSTACK_TEST_STRICT=1): %v", err)
		}
		t.Skipf("skipping: redis-server not installed (%v)", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	s := &RedisServer{t: t, bin: bin, port: port, dir: t.TempDir()}
	s.Start()
	t.Cleanup(s.Kill)
	return s
}

// Addr is the server's host:port.
func (s *RedisServer) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.port) }

// URL is the server's redis:// URL.
func (s *RedisServer) URL() string { return "redis://" + s.Addr() + "/0" }

// Start runs the server and waits until it answers.
func (s *RedisServer) Start() {
	s.t.Helper()
	s.mu.Lock()
	s.cmd = exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no", "--logfile", "")
	s.exited = make(chan struct{})
	if err := s.cmd.Start(); err != nil {
		s.mu.Unlock()
		s.t.Fatal(err)
	}
	cmd, exited := s.cmd, s.exited
	go func() { _ = cmd.Wait(); close(exited) }()
	s.mu.Unlock()
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		select {
		case <-exited:
			s.t.Fatalf("redis-server on %s exited", s.Addr())
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server on %s does not answer: %v", s.Addr(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill ends the server at once (SIGKILL) and waits for it.
func (s *RedisServer) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// Outage returns how long the control-plane outage tests keep Redis (and
// the database) away and the monitors' interval: BETTERSTACK_OUTAGE and
// BETTERSTACK_OUTAGE_INTERVAL (durations such as 10m and 5s; the interval
// a whole number of seconds), or def and defInterval, short so CI is fast.
// A long outage needs go test's -timeout raised past it.
func Outage(t testing.TB, def, defInterval time.Duration) (outage, interval time.Duration) {
	t.Helper()
	get := func(key string, def time.Duration) time.Duration {
		v := os.Getenv(key)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("%s=%q: want a positive duration such as 10m", key, v)
		}
		return d
	}
	outage, interval = get("BETTERSTACK_OUTAGE", def), get("BETTERSTACK_OUTAGE_INTERVAL", defInterval)
	if interval%time.Second != 0 {
		t.Fatalf("BETTERSTACK_OUTAGE_INTERVAL=%v: want whole seconds (monitors' intervals are)", interval)
	}
	if deadline, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if d, set := deadline.Deadline(); set && time.Until(d) < outage+2*time.Minute {
			t.Fatalf("a %v outage does not fit go test's -timeout (%v left): raise it, e.g. -timeout %v", outage, time.Until(d).Round(time.Second), (outage + 5*time.Minute).Round(time.Minute))
		}
	}
	return outage, interval
}

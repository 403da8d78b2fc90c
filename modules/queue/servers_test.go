package queue

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/betterstack/betterstack/modules/testenv"
)

// Helpers that run real redis-server processes for the Sentinel and
// Cluster tests: loopback ports, a temporary directory each, killed when
// the test ends.

// mustRedisServer returns the path of redis-server. Without it the test is
// skipped, or fails under BETTERSTACK_TEST_STRICT=1.
func mustRedisServer(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if testenv.Strict() {
			t.Fatalf("redis-server is required (BETTERSTACK_TEST_STRICT=1) but not installed: %v", err)
		}
		t.Skipf("skipping: redis-server not installed (%v); apt-get install redis-server, or set BETTERSTACK_TEST_STRICT=1 to make this a failure", err)
	}
	return path
}

// freePorts returns n TCP ports of 127.0.0.1 that are free right now.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// redisProc is one redis-server (or sentinel) process.
type redisProc struct {
	name string
	addr string
	port int
	dir  string
	cmd  *exec.Cmd
	out  *lockedBuffer

	mu     sync.Mutex
	exited chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startRedis starts redis-server with the arguments args returns for a
// port and directory, and waits until it answers PING. A port taken in the
// meantime is retried with another.
func startRedis(t *testing.T, name string, args func(port int, dir string) []string) *redisProc {
	t.Helper()
	bin := mustRedisServer(t)
	var last error
	for range 3 {
		p, err := tryStartRedis(t, bin, name, args)
		if err == nil {
			return p
		}
		last = err
	}
	t.Fatalf("start %s: %v", name, last)
	return nil
}

func tryStartRedis(t *testing.T, bin, name string, args func(port int, dir string) []string) (*redisProc, error) {
	port := freePorts(t, 1)[0]
	dir := t.TempDir()
	p := &redisProc{name: name, port: port, addr: fmt.Sprintf("127.0.0.1:%d", port), dir: dir, out: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args(port, dir)...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("output of %s (%s):\n%s", p.name, p.addr, tail(p.out.String(), 30))
		}
	})
	c := redis.NewClient(&redis.Options{Addr: p.addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("%s exited: %s", name, tail(p.out.String(), 10))
		default:
		}
		if time.Now().After(deadline) {
			p.kill()
			return nil, fmt.Errorf("%s does not answer PING: %v", name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends the process at once (SIGKILL: no goodbye to its peers) and
// waits for it.
func (p *redisProc) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
	}
	<-p.exited
}

// client returns a plain client of this one process.
func (p *redisProc) client(t *testing.T) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: p.addr})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func tail(s string, lines int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}

// serverArgs are the arguments every test server shares: loopback only, no
// persistence, logs to stdout.
func serverArgs(port int, dir string) []string {
	return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", ""}
}

// waitFor polls cond every 20ms until it holds or timeout passes, and
// fails the test with what's description then.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ok, err := cond()
		if ok {
			return
		}
		last = err
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s (last error: %v)", timeout, what, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// writeFile writes a file in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

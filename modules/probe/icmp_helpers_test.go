package probe

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/testenv"
)

// The namespace tests re-run this test binary as TestICMPHelperProcess;
// these variables tell it what to do.
const (
	icmpHelperEnv     = "BETTERSTACK_ICMP_HELPER"            // "run", or "as-nobody" to re-run itself as nobody
	icmpHelperCheck   = "BETTERSTACK_ICMP_HELPER_CHECK"      // the settings, JSON
	icmpHelperTimeout = "BETTERSTACK_ICMP_HELPER_TIMEOUT_MS" // the check's timeout
	icmpHelperPrefix  = "ICMP-HELPER-RESULT "                // marks the output line with the result
)

// nobody is the unprivileged user the namespace tests run checks as.
const nobody = 65534

// helperOutput is what the helper prints after icmpHelperPrefix: the same
// check run twice in one Env, the second time with the mode the first one
// left behind.
type helperOutput struct {
	Results [2]Result
	Mode    icmpMode // remembered in the Env after the first check
}

// requirement skips the test with reason, or fails it under
// BETTERSTACK_TEST_STRICT=1.
func requirement(t *testing.T, reason string) {
	t.Helper()
	if testenv.Strict() {
		t.Fatalf("%s (required: BETTERSTACK_TEST_STRICT=1)", reason)
	}
	t.Skipf("skipping: %s; set BETTERSTACK_TEST_STRICT=1 to make this a failure", reason)
}

// requireRoot skips (or fails, when strict) unless the test runs as root,
// which may open raw ICMP sockets.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		requirement(t, "privileged ping needs root")
	}
}

// requireNamespaces skips (or fails, when strict) unless the test can
// create network namespaces: root, ip and sysctl.
func requireNamespaces(t *testing.T) {
	t.Helper()
	requireRoot(t)
	for _, tool := range []string{"ip", "sysctl"} {
		if _, err := exec.LookPath(tool); err != nil {
			requirement(t, "network namespace tests need the "+tool+" command")
		}
	}
}

// MustExecutableCopy copies this test binary into a directory everyone may
// read, so that it can run as nobody; the go test build directory is
// private to its owner.
func MustExecutableCopy(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "betterstack-icmp-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	bin := filepath.Join(dir, "probe.test")
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return bin
}

var namespaces atomic.Int64

// MustNamespace creates a network namespace, deleted when the test ends,
// with lo up (when loUp) and the given "key=value" sysctls set inside it.
func MustNamespace(t *testing.T, loUp bool, sysctls ...string) string {
	t.Helper()
	name := fmt.Sprintf("betterstack-icmp-%d-%d", os.Getpid(), namespaces.Add(1))
	mustRun(t, "ip", "netns", "add", name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "delete", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns delete %s: %v: %s", name, err, out)
		}
	})
	if loUp {
		mustRun(t, "ip", "-n", name, "link", "set", "lo", "up")
	}
	for _, kv := range sysctls {
		mustRun(t, "ip", "netns", "exec", name, "sysctl", "-q", "-w", kv)
	}
	return name
}

func mustRun(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}

// runInNamespace runs the check (settings JSON) inside namespace ns in
// the test binary bin, as root or as nobody, and returns its result.
func runInNamespace(t *testing.T, bin, ns string, asNobody bool, check string, timeout time.Duration) helperOutput {
	t.Helper()
	mode := "run"
	if asNobody {
		mode = "as-nobody" // ip netns exec needs root; the helper then drops to nobody
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*timeout+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns, bin, "-test.run=^TestICMPHelperProcess$", "-test.v")
	cmd.Dir = filepath.Dir(bin)
	cmd.Env = append(os.Environ(),
		icmpHelperEnv+"="+mode,
		icmpHelperCheck+"="+check,
		icmpHelperTimeout+"="+strconv.FormatInt(timeout.Milliseconds(), 10),
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper process: %v\n%s", err, out)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), icmpHelperPrefix); ok {
			var res helperOutput
			if err := json.Unmarshal([]byte(line), &res); err != nil {
				t.Fatalf("helper result %q: %v", line, err)
			}
			return res
		}
	}
	t.Fatalf("no result in the helper's output:\n%s", out)
	return helperOutput{}
}

// reexecAsNobody runs this helper again, in the same namespace, as the
// nobody user with no supplementary groups.
func reexecAsNobody() error {
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), icmpHelperEnv+"=run") // the last value wins
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("as nobody: %w", err)
	}
	return nil
}

// runHelperCheck runs the check described by the environment and prints
// the result.
func runHelperCheck() error {
	c, err := Parse(Spec{Kind: "icmp", Config: json.RawMessage(os.Getenv(icmpHelperCheck))})
	if err != nil {
		return err
	}
	ms, err := strconv.Atoi(os.Getenv(icmpHelperTimeout))
	if err != nil {
		return fmt.Errorf("%s: %w", icmpHelperTimeout, err)
	}
	env := NewEnv(Config{})
	var out helperOutput
	for i := range out.Results {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(ms)*time.Millisecond)
		out.Results[i] = c.Run(ctx, env)
		cancel()
		if i == 0 {
			out.Mode = icmpMode(env.Shared(icmpModeKey, func() any { return new(atomic.Int32) }).(*atomic.Int32).Load())
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	fmt.Println(icmpHelperPrefix + string(b))
	return nil
}

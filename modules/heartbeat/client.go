package heartbeat

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// TailSize is how much of a command's output RunAndReport sends: the end,
// where the error usually is.
const TailSize = 10 << 10

// pingTimeout bounds each ping, so that a monitoring server that hangs
// delays the job by seconds, not forever.
const pingTimeout = 10 * time.Second

// RunAndReport runs cmd as a heartbeat job of pingURL (".../ping/{token}"):
// it pings /start?rid=R with a fresh run id R, runs the command, and posts
// the last TailSize bytes of its output to /{exit-code}?rid=R. The output
// still goes to cmd.Stdout and cmd.Stderr (set them to os.Stdout and
// os.Stderr to pass it through to the terminal); it is captured besides.
//
// It returns the command's own exit code, 128+n for a command killed by
// signal n, like a shell. A command that cannot start is reported as /127
// (a shell's code for it) with the error as the body and returns 127 and
// the error. A ping that fails is written to out (the CLI's stderr; nil
// discards) and changes neither the exit code nor err: monitoring must
// never break the job.
// client nil means http.DefaultClient.
func RunAndReport(ctx context.Context, pingURL string, client *http.Client, cmd *exec.Cmd, out io.Writer) (exitCode int, err error) {
	return runAndReport(ctx, pingURL, client, cmd, out, pingTimeout)
}

func runAndReport(ctx context.Context, pingURL string, client *http.Client, cmd *exec.Cmd, out io.Writer, timeout time.Duration) (int, error) {
	if client == nil {
		client = http.DefaultClient
	}
	if out == nil {
		out = io.Discard
	}
	p := pinger{ctx: ctx, client: client, out: out, timeout: timeout, rid: rand.Text()}
	p.base, p.err = url.Parse(pingURL)

	p.send("start", nil)

	tail := &tailBuffer{max: TailSize}
	same := sameWriter(cmd.Stdout, cmd.Stderr)
	cmd.Stdout = tee(cmd.Stdout, tail)
	if same {
		// One writer for both keeps one pipe, so their order is kept.
		cmd.Stderr = cmd.Stdout
	} else {
		cmd.Stderr = tee(cmd.Stderr, tail)
	}
	if err := cmd.Start(); err != nil {
		// As a shell says of a command it cannot run: 127.
		p.send("127", []byte(err.Error()))
		return 127, err
	}
	waitErr := cmd.Wait()
	code := exitStatus(cmd.ProcessState)
	body := tail.Bytes()
	var ee *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &ee) {
		// The command ran but its output could not be copied.
		body = append(body, "\n[betterstack: "+waitErr.Error()+"]"...)
	}
	p.send(strconv.Itoa(code), body)
	return code, nil
}

// exitStatus is the command's exit code as a shell reports it.
func exitStatus(ps *os.ProcessState) int {
	if ps == nil { // waiting for the process failed: it exited somehow
		return 1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// pinger sends the pings of one run.
type pinger struct {
	ctx     context.Context
	client  *http.Client
	out     io.Writer
	timeout time.Duration
	rid     string
	base    *url.URL
	err     error // from parsing the URL
}

// send posts body to the ping URL plus "/"+suffix and reports a failure to
// p.out.
func (p pinger) send(suffix string, body []byte) {
	if err := p.post(suffix, body); err != nil {
		fmt.Fprintf(p.out, "betterstack: ping /%s failed: %v\n", suffix, err)
	}
}

func (p pinger) post(suffix string, body []byte) error {
	if p.err != nil {
		return p.err
	}
	u := p.base.JoinPath(suffix)
	q := u.Query()
	q.Set("rid", p.rid)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(p.ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return errors.New("server answered " + resp.Status)
	}
	return nil
}

// tailBuffer keeps the last max bytes written to it. Stdout and stderr are
// copied by two goroutines, hence the lock.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	t.buf = t.buf[len(t.buf)-min(len(t.buf), t.max):]
	return len(b), nil
}

// Bytes returns a copy of the tail, starting at a whole UTF-8 character.
func (t *tailBuffer) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf
	for len(b) > 0 && !utf8.RuneStart(b[0]) {
		b = b[1:]
	}
	return bytes.Clone(b)
}

// tee writes to the tail and to w, when set. The tail comes first: it
// cannot fail, so what w refused is still reported.
func tee(w io.Writer, tail *tailBuffer) io.Writer {
	if w == nil {
		return tail
	}
	return io.MultiWriter(tail, w)
}

// sameWriter reports whether a and b are the same writer, as os/exec
// decides it (values of an incomparable type are not). Both nil counts:
// then stdout and stderr share one pipe to the tail and keep their order.
func sameWriter(a, b io.Writer) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

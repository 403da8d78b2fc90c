package heartbeat

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is a heartbeat endpoint that records the pings it gets.
type receiver struct {
	mu     sync.Mutex
	pings  []received
	status int // answer; 0 is 200
}

type received struct {
	method, path, rid, contentType, body string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.pings = append(rc.pings, received{r.Method, r.URL.Path, r.URL.Query().Get("rid"), r.Header.Get("Content-Type"), string(body)})
	status := rc.status
	rc.mu.Unlock()
	if status != 0 {
		w.WriteHeader(status)
	}
}

func (rc *receiver) got() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.pings...)
}

func newReceiver(t *testing.T) (*receiver, *httptest.Server) {
	t.Helper()
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return rc, srv
}

// checkPings checks a start and an end ping with one non-empty run id.
func checkPings(t *testing.T, got []received, endPath string) received {
	t.Helper()
	if len(got) != 2 {
		t.Fatalf("pings = %+v, want a start and an end", got)
	}
	st, end := got[0], got[1]
	if st.method != http.MethodPost || st.path != "/ping/tok/start" || st.body != "" {
		t.Errorf("start ping = %+v, want POST /ping/tok/start with no body", st)
	}
	if end.method != http.MethodPost || end.path != endPath || end.contentType != "text/plain; charset=utf-8" {
		t.Errorf("end ping = %+v, want POST %s as text", end, endPath)
	}
	if len(st.rid) < 16 || end.rid != st.rid {
		t.Errorf("run ids %q and %q, want one random id on both", st.rid, end.rid)
	}
	return end
}

func TestRunAndReportExitCode(t *testing.T) {
	rc, srv := newReceiver(t)
	var stdout, stderr, report bytes.Buffer
	cmd := exec.Command("sh", "-c", "echo hi; echo oops >&2; exit 3")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	code, err := RunAndReport(context.Background(), srv.URL+"/ping/tok", nil, cmd, &report)
	if code != 3 || err != nil {
		t.Fatalf("RunAndReport = %d, %v; want 3, nil", code, err)
	}
	if stdout.String() != "hi\n" || stderr.String() != "oops\n" {
		t.Errorf("passed through stdout %q, stderr %q; want %q, %q", stdout.String(), stderr.String(), "hi\n", "oops\n")
	}
	end := checkPings(t, rc.got(), "/ping/tok/3")
	if !strings.Contains(end.body, "hi\n") || !strings.Contains(end.body, "oops\n") || len(end.body) != len("hi\noops\n") {
		t.Errorf("reported output %q, want both lines", end.body)
	}
	if report.Len() != 0 {
		t.Errorf("reported ping problems %q, want none", report.String())
	}
	// A second run has a run id of its own.
	if _, err := RunAndReport(context.Background(), srv.URL+"/ping/tok", nil, exec.Command("true"), nil); err != nil {
		t.Fatal(err)
	}
	if got := rc.got(); got[2].rid == got[0].rid {
		t.Errorf("two runs share the run id %q", got[0].rid)
	}
}

func TestRunAndReportSuccessKeepsOneWriterInOrder(t *testing.T) {
	rc, srv := newReceiver(t)
	var both bytes.Buffer
	cmd := exec.Command("sh", "-c", "echo one; echo two >&2; echo three")
	cmd.Stdout, cmd.Stderr = &both, &both
	code, err := RunAndReport(context.Background(), srv.URL+"/ping/tok/", nil, cmd, nil)
	if code != 0 || err != nil {
		t.Fatalf("RunAndReport = %d, %v; want 0, nil", code, err)
	}
	if both.String() != "one\ntwo\nthree\n" {
		t.Errorf("passed through %q", both.String())
	}
	if end := checkPings(t, rc.got(), "/ping/tok/0"); end.body != "one\ntwo\nthree\n" {
		t.Errorf("reported %q, want the output in order", end.body)
	}
}

func TestRunAndReportKeepsTheTail(t *testing.T) {
	rc, srv := newReceiver(t)
	// 12001 bytes: 6000 two-byte characters and a newline. The last 10240
	// begin inside a character, which is dropped.
	cmd := exec.Command("sh", "-c", `i=0; while [ $i -lt 6000 ]; do printf 'é'; i=$((i+1)); done; echo`)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if code, err := RunAndReport(context.Background(), srv.URL+"/ping/tok", nil, cmd, nil); code != 0 || err != nil {
		t.Fatalf("RunAndReport = %d, %v", code, err)
	}
	if stdout.Len() != 12001 {
		t.Fatalf("passed through %d bytes, want all 12001", stdout.Len())
	}
	end := checkPings(t, rc.got(), "/ping/tok/0")
	if want := strings.Repeat("é", 5119) + "\n"; end.body != want {
		t.Errorf("reported %d bytes (%q...), want the last %d", len(end.body), end.body[:min(8, len(end.body))], len(want))
	}
}

func TestTailBuffer(t *testing.T) {
	tb := &tailBuffer{max: 5}
	for _, s := range []string{"ab", "cd", "efg", "", "h"} {
		if n, err := tb.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got := string(tb.Bytes()); got != "defgh" {
		t.Errorf("tail = %q, want %q", got, "defgh")
	}
	if _, err := tb.Write([]byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	if got := string(tb.Bytes()); got != "56789" {
		t.Errorf("tail = %q, want %q", got, "56789")
	}
	if got := (&tailBuffer{max: 5}).Bytes(); len(got) != 0 {
		t.Errorf("empty tail = %q", got)
	}
}

func TestRunAndReportSignal(t *testing.T) {
	rc, srv := newReceiver(t)
	code, err := RunAndReport(context.Background(), srv.URL+"/ping/tok", nil, exec.Command("sh", "-c", "kill -TERM $$"), nil)
	if code != 143 || err != nil {
		t.Fatalf("RunAndReport = %d, %v; want 143 (128+SIGTERM), nil", code, err)
	}
	checkPings(t, rc.got(), "/ping/tok/143")
}

func TestRunAndReportCommandThatCannotStart(t *testing.T) {
	rc, srv := newReceiver(t)
	code, err := RunAndReport(context.Background(), srv.URL+"/ping/tok", nil, exec.Command("/nonexistent/betterstack-test"), nil)
	if code != 127 || err == nil {
		t.Fatalf("RunAndReport = %d, %v; want 127 and the error", code, err)
	}
	end := checkPings(t, rc.got(), "/ping/tok/127") // as a shell says of a command it cannot run
	if !strings.Contains(end.body, "/nonexistent/betterstack-test") || end.body != err.Error() {
		t.Errorf("reported %q, want the error %q", end.body, err.Error())
	}
}

func TestRunAndReportPingFailuresDoNotChangeTheExitCode(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // nothing listens there any more
	refusing, srv := newReceiver(t)
	refusing.status = http.StatusNotFound

	for _, tt := range []struct {
		name, url, want string
	}{
		{"server down", closed.URL + "/ping/tok", "connect"},
		{"server refuses", srv.URL + "/ping/tok", "server answered 404 Not Found"},
		{"not a URL", "http://[::1/ping/tok", "missing ']'"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var report bytes.Buffer
			code, err := RunAndReport(context.Background(), tt.url, nil, exec.Command("sh", "-c", "exit 4"), &report)
			if code != 4 || err != nil {
				t.Fatalf("RunAndReport = %d, %v; want 4, nil", code, err)
			}
			lines := strings.Split(strings.TrimSpace(report.String()), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "betterstack: ping /start failed: ") ||
				!strings.HasPrefix(lines[1], "betterstack: ping /4 failed: ") || !strings.Contains(lines[1], tt.want) {
				t.Errorf("reported %q, want both pings' failures mentioning %q", report.String(), tt.want)
			}
		})
	}
}

func TestRunAndReportHangingServer(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	var report bytes.Buffer
	began := time.Now()
	code, err := runAndReport(context.Background(), srv.URL+"/ping/tok", nil, exec.Command("true"), &report, 100*time.Millisecond)
	if code != 0 || err != nil {
		t.Fatalf("runAndReport = %d, %v; want 0, nil", code, err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("took %v with a hanging server", took)
	}
	if strings.Count(report.String(), "context deadline exceeded") != 2 {
		t.Errorf("reported %q, want two timeouts", report.String())
	}
}

func TestRunAndReportUsesTheGivenClient(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewTLSServer(rc) // only its own client trusts it
	defer srv.Close()
	var report bytes.Buffer
	code, err := RunAndReport(context.Background(), srv.URL+"/ping/tok", srv.Client(), exec.Command("true"), &report)
	if code != 0 || err != nil || report.Len() != 0 {
		t.Fatalf("RunAndReport = %d, %v, reported %q; want 0 and no problems", code, err, report.String())
	}
	checkPings(t, rc.got(), "/ping/tok/0")
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("terminal gone") }

func TestRunAndReportOutputThatCannotBePassedThrough(t *testing.T) {
	rc, srv := newReceiver(t)
	cmd := exec.Command("sh", "-c", "echo hi")
	cmd.Stdout = failingWriter{}
	code, err := RunAndReport(context.Background(), srv.URL+"/ping/tok", nil, cmd, nil)
	if code != 0 || err != nil {
		t.Fatalf("RunAndReport = %d, %v; want 0, nil", code, err)
	}
	if end := checkPings(t, rc.got(), "/ping/tok/0"); end.body != "hi\n\n[betterstack: terminal gone]" {
		t.Errorf("reported %q, want the output and the copy error", end.body)
	}
}

type sliceWriter []byte // not comparable

func (w sliceWriter) Write(b []byte) (int, error) { return len(b), nil }

func TestSameWriter(t *testing.T) {
	var buf bytes.Buffer
	for _, tt := range []struct {
		name string
		a, b io.Writer
		want bool
	}{
		{"both unset", nil, nil, true},
		{"one writer", &buf, &buf, true},
		{"two writers", &buf, &bytes.Buffer{}, false},
		{"one unset", &buf, nil, false},
		{"values of an incomparable type", sliceWriter{}, sliceWriter{}, false},
	} {
		if got := sameWriter(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: sameWriter = %v, want %v", tt.name, got, tt.want)
		}
	}
}

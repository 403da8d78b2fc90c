package cmd

import (
	"bufio"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/betterstack/betterstack/modules/probe"
)

// TestEveryKindInTwoRegions runs one monitor of every scheduled kind from
// two regions against real servers on 127.0.0.1 (PostgreSQL, Redis, two
// workers, the pusher and the alerter), sees each up in both regions with
// its kind's evidence, then breaks the targets and sees each fail with its
// kind's class.
func TestEveryKindInTwoRegions(t *testing.T) {
	t.Parallel()
	// HTTP and TLS: one TLS server serves both (its test CA is trusted by
	// the workers' prober).
	var httpStatus = make(chan int, 1)
	httpStatus <- http.StatusOK
	web := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := <-httpStatus
		httpStatus <- code
		w.WriteHeader(code)
		fmt.Fprint(w, `{"status":"UP"}`)
	}))
	t.Cleanup(web.Close)
	roots := x509.NewCertPool()
	roots.AddCert(web.Certificate())
	webHost := strings.TrimPrefix(web.URL, "https://")

	// TCP: a banner server that can be stopped.
	tcpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := tcpLn.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = c.Write([]byte("220 kinds ready\r\n"))
				_, _ = bufio.NewReader(c).ReadString('\n')
			}()
		}
	}()
	t.Cleanup(func() { _ = tcpLn.Close() })

	// DNS: answers svc.kinds.test A 127.0.0.1 until told to answer NXDOMAIN.
	nx := make(chan bool, 1)
	nx <- false
	dnsConn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dnsSrv := &dns.Server{PacketConn: dnsConn, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		broken := <-nx
		nx <- broken
		if broken {
			m.Rcode = dns.RcodeNameError
		} else if len(q.Question) == 1 && q.Question[0].Qtype == dns.TypeA {
			rr, _ := dns.NewRR(q.Question[0].Name + " 60 IN A 127.0.0.1")
			m.Answer = append(m.Answer, rr)
		}
		_ = w.WriteMsg(m)
	})}
	go func() { _ = dnsSrv.ActivateAndServe() }()
	t.Cleanup(func() { _ = dnsSrv.Shutdown() })

	// RDAP: the domain's registry, far from expiry.
	rdap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rdap+json")
		fmt.Fprintf(w, `{"objectClassName":"domain","ldhName":"kinds.org","events":[{"eventAction":"expiration","eventDate":"%s"}]}`,
			time.Now().AddDate(2, 0, 0).UTC().Format(time.RFC3339))
	}))
	t.Cleanup(rdap.Close)

	cl := newCluster(t)
	api := mustAppWith(t, "api", cl.config(t, "local", "", "api", "alerter", "pusher"), Options{})
	base, _ := startApp(t, api)
	c := signupClient(t, api, base, "kinds@example.com")
	for _, region := range []string{"eu", "us"} {
		id := region + "-worker"
		w := mustAppWith(t, id, cl.config(t, region, id, "worker"), Options{Probe: probe.New(probe.Config{RootCAs: roots})})
		startApp(t, w)
	}
	eventually(t, 10*time.Second, "regions eu and us live", func() bool {
		rs := c.regions()
		return rs["eu"].Live && rs["us"].Live
	})

	checks := map[string]string{
		"http":   fmt.Sprintf(`{"kind":"http","url":%q}`, web.URL),
		"tcp":    fmt.Sprintf(`{"kind":"tcp","host":"127.0.0.1","port":%d,"expect":"220"}`, tcpLn.Addr().(*net.TCPAddr).Port),
		"dns":    fmt.Sprintf(`{"kind":"dns","name":"svc.kinds.test","resolver":%q,"expected":["127.0.0.1"]}`, dnsConn.LocalAddr().String()),
		"icmp":   `{"kind":"icmp","host":"127.0.0.1","count":2,"interval_ms":50}`,
		"tls":    fmt.Sprintf(`{"kind":"tls","host":"127.0.0.1","port":%s,"verify":false}`, webHost[strings.LastIndex(webHost, ":")+1:]),
		"domain": fmt.Sprintf(`{"kind":"domain","name":"kinds.org","rdap_server":%q}`, rdap.URL+"/"),
	}
	scheduled := 0 // kinds fed another way (heartbeat) have their own tests
	for _, k := range probe.Kinds() {
		if k.Scheduled {
			scheduled++
		}
	}
	if len(checks) != scheduled {
		t.Fatalf("the test covers %d kinds, the registry schedules %d: add the new kind here", len(checks), scheduled)
	}
	ids := map[string]int64{}
	for kind, check := range checks {
		ids[kind] = c.createMonitor(fmt.Sprintf(`{"name":"%s","check":%s,"interval_seconds":2,"timeout_ms":1500,
			"regions":["eu","us"],"failure_threshold":1,"recovery_threshold":1}`, kind, check))
	}

	// Up in both regions, each with its kind's evidence.
	eventually(t, 30*time.Second, "every kind up in both regions", func() bool {
		for _, id := range ids {
			if !upIn(c, id, "eu", "us") {
				return false
			}
		}
		return true
	})
	for kind, id := range ids {
		st, body := c.call("GET", fmt.Sprintf("/api/v1/monitors/%d/regions", id), "")
		want := map[string]string{"dns": "answers", "icmp": "packet loss", "tls": "days left", "domain": "days left",
			"tcp": "connected to", "http": "certificate expires"}[kind]
		if st != http.StatusOK || !strings.Contains(body, `"name":"`+want+`"`) {
			t.Errorf("%s monitor's regions lack its evidence %q: %d %s", kind, want, st, body)
		}
	}

	// Break what can be broken from here: each fails with its own class.
	<-httpStatus
	httpStatus <- http.StatusServiceUnavailable
	<-nx
	nx <- true
	_ = tcpLn.Close()
	want := map[string]string{"http": "http_status", "dns": "dns_rcode", "tcp": "connect"}
	eventually(t, 30*time.Second, "broken targets fail with their class in both regions", func() bool {
		for kind, class := range want {
			if !failingIn(c, ids[kind], class, "eu", "us") {
				return false
			}
		}
		return true
	})
}

// regionStates is GET /api/v1/monitors/{id}'s per-region view, as much as
// these tests read.
func regionStatesOf(c client, id int64) map[string]struct{ Status, ErrorClass string } {
	c.t.Helper()
	st, body := c.call("GET", fmt.Sprintf("/api/v1/monitors/%d/regions", id), "")
	if st != http.StatusOK {
		c.t.Fatalf("regions of monitor %d: %d %s", id, st, body)
	}
	var page struct {
		Data []struct {
			Region     string `json:"region"`
			Status     string `json:"status"`
			ErrorClass string `json:"error_class"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		c.t.Fatalf("decode %q: %v", body, err)
	}
	out := map[string]struct{ Status, ErrorClass string }{}
	for _, r := range page.Data {
		out[r.Region] = struct{ Status, ErrorClass string }{r.Status, r.ErrorClass}
	}
	return out
}

func upIn(c client, id int64, regions ...string) bool {
	rs := regionStatesOf(c, id)
	for _, r := range regions {
		if rs[r].Status != "up" {
			return false
		}
	}
	return true
}

func failingIn(c client, id int64, class string, regions ...string) bool {
	rs := regionStatesOf(c, id)
	for _, r := range regions {
		if rs[r].Status != "down" || rs[r].ErrorClass != class {
			return false
		}
	}
	return true
}

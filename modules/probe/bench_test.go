package probe_test

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/betterstack/betterstack/modules/probe"
)

// benchHandler answers like a small health endpoint.
var benchHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"status":"ok","checks":{"db":"ok","cache":"ok"}}`))
})

func benchmarkCheck(b *testing.B, p *probe.Prober, req probe.Request) {
	b.ReportAllocs()
	b.SetParallelism(4) // checks wait on the network; keep both cores busy
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if res := p.Check(ctx, req); res.Status != probe.StatusUp {
				b.Errorf("check %s: %s", res.ErrorClass, res.Error)
				return
			}
		}
	})
}

// BenchmarkHTTPCheck measures a plain-HTTP check on a fresh connection,
// with the target server in the same process.
func BenchmarkHTTPCheck(b *testing.B) {
	srv, conns := NewTarget(b, benchHandler)
	p := probe.New(probe.Config{})
	benchmarkCheck(b, p, probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/health", Keyword: `"status":"ok"`}, 5000, 0))
	b.StopTimer()
	if got := conns.Load(); got < int64(b.N) {
		b.Errorf("%d checks used %d connections; every check needs its own", b.N, got)
	}
}

// BenchmarkHTTPSCheck measures an HTTPS check with a full handshake each
// time (no session resumption), server in the same process.
func BenchmarkHTTPSCheck(b *testing.B) {
	srv := httptest.NewUnstartedServer(benchHandler)
	srv.Config.ErrorLog = quietLog()
	srv.StartTLS()
	b.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	p := probe.New(probe.Config{RootCAs: roots})
	benchmarkCheck(b, p, probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/health", Keyword: `"status":"ok"`}, 5000, 0))
}

package cmd

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/probe"
)

// TestCompressedPages fetches a status page, the JSON monitor list, an SVG
// badge and the dashboard overview over real HTTP, with and without
// Accept-Encoding: gzip. With gzip a page big enough is sent compressed and
// decompresses to exactly the bytes sent without; without gzip it is sent
// as is; both say Vary: Accept-Encoding. (modules/server's TestCompress
// covers what is never compressed: pings, metrics, streams, binaries.)
func TestCompressedPages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		f := newSPFixture(t, cfg)
		spIngest(t, f.app, f.web, probe.StatusUp, 5, 0)
		spIngest(t, f.app, f.db, probe.StatusDown, 5, 0)
		spCreate(t, f.app, f.alice, map[string]any{"slug": "acme", "title": "Acme",
			"sections": []map[string]any{{"name": "Web", "components": []map[string]any{
				{"monitor_id": f.web, "display_name": "Website"}, {"monitor_id": f.db, "display_name": "Database"}}}}})
		r := do(t, f.app, "POST", fmt.Sprintf("/api/v1/monitors/%d/badge", f.web), f.alice, "")
		if r.Status != http.StatusOK {
			t.Fatalf("enable badge: %d %s", r.Status, r.Body)
		}
		var badge struct {
			URLs struct{ Status, Uptime string }
		}
		r.JSON(t, &badge)
		srv := httptest.NewServer(f.app.HTTP.Echo())
		defer srv.Close()
		// The transport must not ask for gzip and decompress on its own:
		// the test looks at what went over the wire.
		client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
		get := func(path, token, accept string) (*http.Response, []byte) {
			t.Helper()
			req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
				req.AddCookie(&http.Cookie{Name: "bs_session", Value: token})
			}
			if accept != "" {
				req.Header.Set("Accept-Encoding", accept)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			return resp, body
		}
		for _, tc := range []struct {
			name, path, token, typ, contains string
			gzipped                          bool
		}{
			{"status page", "/status/acme", "", "text/html", "Website", true},
			{"JSON monitor list", "/api/v1/monitors", f.alice, "application/json", "web-prod-7 internal", true},
			{"status badge", badgePath(t, badge.URLs.Status), "", "image/svg+xml", "<svg", false},
			{"uptime badge", badgePath(t, badge.URLs.Uptime), "", "image/svg+xml", "<svg", false},
			{"dashboard overview", "/", f.alice, "text/html", "db-primary internal", true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				zresp, zbody := get(tc.path, tc.token, "gzip, deflate, br")
				presp, pbody := get(tc.path, tc.token, "")
				if zresp.StatusCode != http.StatusOK || presp.StatusCode != http.StatusOK {
					t.Fatalf("status %d with gzip, %d without: %.300s", zresp.StatusCode, presp.StatusCode, pbody)
				}
				for _, resp := range []*http.Response{zresp, presp} {
					if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
						t.Errorf("Vary %q lacks Accept-Encoding", resp.Header.Get("Vary"))
					}
					if !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.typ) {
						t.Errorf("Content-Type %q, want %s", resp.Header.Get("Content-Type"), tc.typ)
					}
				}
				if ce := presp.Header.Get("Content-Encoding"); ce != "" {
					t.Errorf("without Accept-Encoding: Content-Encoding %q, want identity", ce)
				}
				if !strings.Contains(string(pbody), tc.contains) {
					t.Fatalf("identity body lacks %q: %.300s", tc.contains, pbody)
				}
				// Small answers (a badge is a few hundred bytes) stay identity.
				wantGzip := len(pbody) >= 1024
				if wantGzip != tc.gzipped {
					t.Errorf("identity body is %d bytes: expected it to be %s 1 KiB", len(pbody), map[bool]string{true: "over", false: "under"}[tc.gzipped])
				}
				got := zbody
				if ce := zresp.Header.Get("Content-Encoding"); wantGzip {
					if ce != "gzip" {
						t.Fatalf("Content-Encoding %q, want gzip", ce)
					}
					zr, err := gzip.NewReader(bytes.NewReader(zbody))
					if err != nil {
						t.Fatalf("not gzip: %v", err)
					}
					if got, err = io.ReadAll(zr); err != nil {
						t.Fatalf("gunzip: %v", err)
					}
					if len(zbody)*3 > len(pbody) {
						t.Errorf("compressed %d bytes of %d: less than 3×", len(zbody), len(pbody))
					}
				} else if ce != "" {
					t.Fatalf("Content-Encoding %q on a %d-byte answer, want identity", ce, len(pbody))
				}
				if !sameAnswer(got, pbody) {
					i := 0
					for i < min(len(got), len(pbody)) && got[i] == pbody[i] {
						i++
					}
					lo := max(i-80, 0)
					t.Errorf("decompressed body differs from the identity body at byte %d:\n%.200q\n%.200q", i, got[lo:], pbody[lo:])
				}
			})
		}
	})
}

// sameAnswer compares two renders of one page, but for what differs
// between any two requests: the dashboard's CSRF token and how long ago a
// check was ("4 s ago").
func sameAnswer(a, b []byte) bool {
	strip := func(s []byte) []byte {
		s = perRequestCSRF.ReplaceAll(s, []byte(`name="_csrf" value=""`))
		return perRequestAgo.ReplaceAll(s, []byte(`<time$1></time>`))
	}
	return bytes.Equal(strip(a), strip(b))
}

var (
	perRequestCSRF = regexp.MustCompile(`name="_csrf" value="[^"]*"`)
	perRequestAgo  = regexp.MustCompile(`<time([^>]*)>[^<]*</time>`)
)

// badgePath is the path of a badge URL the API returned.
func badgePath(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil || p.Path == "" {
		t.Fatalf("badge URL %q: %v", u, err)
	}
	return p.Path
}

// TestOverviewSparklineAfterRename: the overview keeps each monitor's drawn
// sparkline between renders while it has no new check; a rename (which is
// not a check) must still show the new name in the line's title.
func TestOverviewSparklineAfterRename(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		f := newFixture(t, cfg)
		spIngest(t, f.app, f.aliceMonitor, probe.StatusUp, 5, 0)
		overview := func() string {
			t.Helper()
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.AddCookie(&http.Cookie{Name: "bs_session", Value: f.alice})
			rec := httptest.NewRecorder()
			f.app.HTTP.Echo().ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("overview: %d %.300s", rec.Code, rec.Body.String())
			}
			return rec.Body.String()
		}
		if body := overview(); !strings.Contains(body, "Response time of Alice API, last 24 hours") {
			t.Fatalf("control: no sparkline titled with the name: %.2000s", body)
		}
		if r := do(t, f.app, "PATCH", fmt.Sprintf("/api/v1/monitors/%d", f.aliceMonitor), f.alice, `{"name":"Alice renamed"}`); r.Status != http.StatusOK {
			t.Fatalf("rename: %d %s", r.Status, r.Body)
		}
		body := overview()
		if !strings.Contains(body, "Response time of Alice renamed, last 24 hours") || strings.Contains(body, "Alice API") {
			t.Errorf("after the rename the overview still says the old name or lacks the new one")
		}
	})
}

package dashboard

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/auth"
	"github.com/betterstack/betterstack/modules/selfcheck"
	"github.com/betterstack/betterstack/modules/testenv"
	"github.com/betterstack/betterstack/modules/web"
	"github.com/betterstack/betterstack/ui"
)

// pipelineStub answers Status with the verdict package selfcheck gives for
// its stages.
type pipelineStub struct {
	stages     []selfcheck.Measure
	regions    []selfcheck.Region
	ingestWait time.Duration
}

func (p *pipelineStub) Status(context.Context) (selfcheck.Status, error) {
	smp := selfcheck.Sample{At: time.Now(), Stages: p.stages, Regions: p.regions, IngestWait: p.ingestWait}
	return selfcheck.Status{Sample: smp, Verdict: selfcheck.Judge(smp, 30*time.Second), Threshold: 30 * time.Second}, nil
}

// settingsWithPipeline serves the dashboard, signed in, with stub as its
// self-check; get returns a settings page's HTML.
func settingsWithPipeline(t *testing.T) (stub *pipelineStub, get func(t *testing.T, path string) string) {
	t.Helper()
	db := testenv.MustDatabase(t, "postgres")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := auth.New(db, auth.Config{JWTSecret: []byte("0123456789abcdef0123456789abcdef"), JWTTTL: time.Hour, Signup: "open", PasswordMemoryKiB: 64}, log)
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := a.Signup(context.Background(), "ops@example.com", "correct horse battery", auth.Client{IP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	assets, err := web.NewAssets(ui.FS)
	if err != nil {
		t.Fatal(err)
	}
	r, err := web.NewRenderer(ui.FS, assets, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	stub = &pipelineStub{}
	e := echo.New()
	New(Config{}, Deps{Auth: a, Pipeline: stub}, r, log).Register(e)
	return stub, func(t *testing.T, path string) string {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: token})
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "<h1>Settings</h1>") {
			t.Fatalf("GET %s = %d %v:\n%s", path, rec.Code, rec.Header(), rec.Body)
		}
		return rec.Body.String()
	}
}

// TestSettingsPipelineNotices: the settings pages say "Checks are being
// skipped", name the region and the count, while a region's checks are
// skipped although nothing lags; both notices show when a region also
// lags; neither shows when nothing is skipped or late.
func TestSettingsPipelineNotices(t *testing.T) {
	stub, get := settingsWithPipeline(t)
	stub.ingestWait = 10 * time.Second

	const (
		skipping = `id="pipeline-skipping"`
		late     = `id="pipeline-late"`
	)
	onTime := []selfcheck.Measure{{Stage: selfcheck.StagePusher}, {Stage: selfcheck.StageWorkers, Region: "eu", Lag: 3 * time.Second}}
	tests := []struct {
		name      string
		stages    []selfcheck.Measure
		want, not []string
	}{
		{name: "on time", stages: onTime, not: []string{skipping, late, "Checks are being skipped", "Checks are running late"}},
		{name: "skipping though on time", stages: []selfcheck.Measure{{Stage: selfcheck.StagePusher},
			{Stage: selfcheck.StageWorkers, Region: "eu", Lag: 3 * time.Second, Skipped: 1234}},
			want: []string{skipping, `role="alert"`,
				"<strong>Checks are being skipped:</strong> the workers in eu are at capacity — 1,234 checks skipped in the last minute so the rest run on time.",
				"Add workers in eu, or lengthen the monitors&#39; intervals."},
			not: []string{late, "Checks are running late", "also skipping"}},
		{name: "one check skipped", stages: []selfcheck.Measure{{Stage: selfcheck.StageWorkers, Region: "eu", Skipped: 1}},
			want: []string{"the workers in eu are at capacity — 1 check skipped in the last minute"}},
		{name: "two regions skipping, the most skipped first", stages: []selfcheck.Measure{
			{Stage: selfcheck.StageWorkers, Region: "us", Skipped: 56}, {Stage: selfcheck.StageWorkers, Region: "eu", Skipped: 1234}},
			want: []string{"the workers in eu are at capacity — 1,234 checks skipped in the last minute so the rest run on time; also skipping: workers in us (56 checks).",
				"Add workers in those regions, or lengthen the monitors&#39; intervals."}},
		{name: "late and skipping", stages: []selfcheck.Measure{{Stage: selfcheck.StageWorkers, Region: "eu", Lag: 42 * time.Second, Backlog: 9, Skipped: 300}},
			want: []string{late, "the workers in eu stage is 42 s behind (9 waiting)", skipping, "the workers in eu are at capacity — 300 checks skipped"}},
		{name: "skipping for the ingest", stages: []selfcheck.Measure{{Stage: selfcheck.StageWorkers, Region: "eu", Skipped: 300},
			{Stage: selfcheck.StageIngest, Lag: 11 * time.Second, Backlog: 5000}},
			want: []string{skipping, "results wait too long to be stored — 300 checks skipped in the last minute by the workers in eu so the ingest can catch up",
				"give the database more CPU, run another alerter"},
			not: []string{"are at capacity", "Add workers"}},
		{name: "ingest within its wait: the workers", stages: []selfcheck.Measure{{Stage: selfcheck.StageWorkers, Region: "eu", Skipped: 300},
			{Stage: selfcheck.StageIngest, Lag: 10 * time.Second, Backlog: 5000}},
			want: []string{"the workers in eu are at capacity — 300 checks skipped"}, not: []string{"wait too long to be stored"}},
		{name: "late without skipping", stages: []selfcheck.Measure{{Stage: selfcheck.StageWorkers, Region: "eu", Lag: 42 * time.Second, Backlog: 9}},
			want: []string{late, "the workers in eu stage is 42 s behind (9 waiting)"}, not: []string{skipping, "Checks are being skipped"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stub.stages = tt.stages
			for _, path := range []string{"/settings", "/settings/regions"} {
				body := get(t, path)
				for _, s := range tt.want {
					if !strings.Contains(body, s) {
						t.Errorf("%s: missing %q", path, s)
					}
				}
				for _, s := range tt.not {
					if strings.Contains(body, s) {
						t.Errorf("%s: shows %q", path, s)
					}
				}
			}
		})
	}
}

// TestSettingsRegionsUnseen: the regions page lists a region monitors name
// that no worker has ever reported from, says their checks there are not
// running and how to start one; a region workers reported from, or one no
// monitor expects, is not listed as such.
func TestSettingsRegionsUnseen(t *testing.T) {
	stub, getPage := settingsWithPipeline(t)
	get := func() string { return getPage(t, "/settings/regions") }
	stub.regions = []selfcheck.Region{{Name: "eu", LastSeen: time.Now(), Expected: true}, {Name: "unused"}, {Name: "frankfrut", Expected: true}}
	body := get()
	for _, want := range []string{`id="regions-unseen"`,
		"<strong>Monitors name a region no worker has ever reported from:</strong> frankfrut. Their checks there are not running.",
		"<code>betterstack serve --role=worker --region=frankfrut</code>",
		"<td>frankfrut</td>\n    <td><span class=\"pill pill-down\">No worker</span></td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("regions page misses %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<td>unused</td>") || strings.Contains(body, "<td>eu</td>\n    <td><span class=\"pill pill-down\">No worker") {
		t.Errorf("regions page lists a region with workers, or one no monitor names, as having none:\n%s", body)
	}
	stub.regions = stub.regions[:2]
	if body := get(); strings.Contains(body, "regions-unseen") || strings.Contains(body, ">No worker<") {
		t.Errorf("every named region has reported, yet the page says one has not:\n%s", body)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 1234: "1,234", 123456: "123,456", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

package cmd

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserMonitorLifecycle drives the dashboard in headless Chromium as
// a new user would: sign up, create a monitor of a local target, see it up
// on the overview and its chart on the detail page, stop the target, see
// the monitor go down and an incident appear, acknowledge and resolve it.
// Screenshots of the main pages are saved as test artifacts.
func TestBrowserMonitorLifecycle(t *testing.T) {
	ctx := mustChrome(t)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "all good")
	}))
	defer target.Close()

	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	cfg.MinInterval = time.Second
	app := MustApp(t, cfg)
	base, _ := startApp(t, app)

	// Sign up through the form; a new user lands on an empty overview.
	browserSignup(t, ctx, base, "browser@example.com")
	screenshot(t, ctx, "overview-empty")

	// Create a monitor of the target through the form.
	run(t, ctx, "open the new monitor form", chromedp.Navigate(base+"/monitors/new"), chromedp.WaitVisible(`input[name="check.url"]`))
	run(t, ctx, "fill the form",
		chromedp.SendKeys(`input[name="name"]`, "Browser target"),
		chromedp.SendKeys(`input[name="check.url"]`, target.URL),
		chromedp.SetValue(`input[name="interval_seconds"]`, "1"),
		chromedp.SetValue(`input[name="timeout_ms"]`, "500"),
		chromedp.SetValue(`input[name="failure_threshold"]`, "1"),
		chromedp.SetValue(`input[name="recovery_threshold"]`, "1"),
	)
	screenshot(t, ctx, "monitor-form")
	run(t, ctx, "save", chromedp.Submit(`input[name="check.url"]`))
	waitText(t, ctx, "", "Response time", 10*time.Second)
	detail := value(t, ctx, "detail URL", chromedp.Location())
	if !strings.Contains(detail, "/monitors/") {
		t.Fatalf("after saving, the browser is at %s, want the monitor's page", detail)
	}

	// The overview shows it up (the row's pill, not the counts' label).
	waitFor(t, ctx, base+"/", `document.querySelector("tbody .pill-up") !== null`, 30*time.Second)
	overview := value(t, ctx, "overview text", chromedp.Text("main"))
	if !strings.Contains(overview, "Browser target") || !strings.Contains(overview, target.URL) {
		t.Fatalf("overview does not list the monitor:\n%s", overview)
	}
	screenshot(t, ctx, "overview-up")

	// The detail page draws its response-time chart from the checks.
	waitFor(t, ctx, detail, `document.querySelector("svg .chart-line") !== null`, 30*time.Second)
	screenshot(t, ctx, "monitor-detail")

	// Stop the target: the monitor goes down and an incident opens.
	target.Close()
	waitFor(t, ctx, base+"/", `document.querySelector("tbody .pill-down") !== null`, 30*time.Second)
	if row := value(t, ctx, "overview row", chromedp.Text("tbody tr")); !strings.Contains(row, "Down") || !strings.Contains(row, "Browser target") {
		t.Fatalf("the monitor's row reads %q, want it down", row)
	}
	screenshot(t, ctx, "overview-down")
	waitText(t, ctx, base+"/incidents", "Browser target", 30*time.Second)
	screenshot(t, ctx, "incidents")
	run(t, ctx, "open the incident", chromedp.Click(`a[href^="/incidents/"]`), chromedp.WaitVisible(`form[action$="/acknowledge"]`))
	screenshot(t, ctx, "incident")

	run(t, ctx, "acknowledge", chromedp.Click(`form[action$="/acknowledge"] button`), chromedp.WaitNotPresent(`form[action$="/acknowledge"]`))
	text := value(t, ctx, "incident text", chromedp.Text("main"))
	if !strings.Contains(text, "browser@example.com") || !strings.Contains(strings.ToLower(text), "acknowledged") {
		t.Fatalf("after acknowledging, the page shows:\n%s", text)
	}

	// Resolve asks for confirmation first (app.js calls confirm for forms
	// with data-confirm); answer yes.
	question := value(t, ctx, "resolve confirmation", chromedp.Evaluate[string](`document.querySelector('form[action$="/resolve"]').dataset.confirm || ""`))
	if question == "" {
		t.Error("resolving does not ask for confirmation")
	}
	run(t, ctx, "answer the confirmation", chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true; };`))
	run(t, ctx, "resolve", chromedp.Click(`form[action$="/resolve"] button`), chromedp.WaitNotPresent(`form[action$="/resolve"]`))
	text = value(t, ctx, "incident text", chromedp.Text("main"))
	if !strings.Contains(text, "Resolved") {
		t.Fatalf("after resolving, the page shows:\n%s", text)
	}
	screenshot(t, ctx, "incident-resolved")
}

// browserSignup signs email up through the form and waits for the new
// user's empty overview.
func browserSignup(t *testing.T, ctx context.Context, base, email string) {
	t.Helper()
	run(t, ctx, "open sign-up", chromedp.Navigate(base+"/signup"), chromedp.WaitVisible(`input[name="email"]`))
	run(t, ctx, "sign up",
		chromedp.SendKeys(`input[name="email"]`, email),
		chromedp.SendKeys(`input[name="password"]`, "correct horse"),
		chromedp.Submit(`input[name="password"]`),
	)
	waitText(t, ctx, "", "Add your first monitor", 10*time.Second)
}

// waitText loads url (or stays on the current page when url is "") until
// the page's text contains want.
func waitText(t *testing.T, ctx context.Context, url, want string, timeout time.Duration) {
	t.Helper()
	waitFor(t, ctx, url, fmt.Sprintf("!!document.body && document.body.innerText.includes(%q)", want), timeout)
}

// waitFor reloads url (or re-checks the current page when url is "") until
// the JavaScript expression cond is true.
func waitFor(t *testing.T, ctx context.Context, url, cond string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if url != "" {
			run(t, ctx, "load "+url, chromedp.Navigate(url))
		}
		// While a page is loading the expression may fail; that is a "not yet".
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			body := value(t, ctx, "page text", chromedp.Text("body"))
			t.Fatalf("timed out after %s waiting for %s at %s; the page shows:\n%s", timeout, cond, url, body)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

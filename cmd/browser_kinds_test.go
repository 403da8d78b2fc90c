package cmd

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserTCPMonitor: a new user chooses the TCP kind on the form by
// its link, sees only that kind's fields, creates a monitor of a local
// port that answers a banner, sees it up with its evidence, closes the
// port, and sees it down with the connect class.
func TestBrowserTCPMonitor(t *testing.T) {
	ctx := mustChrome(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("220 browser ready\r\n"))
			_ = c.Close()
		}
	}()
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)

	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	cfg.MinInterval = time.Second
	app := MustApp(t, cfg)
	base, _ := startApp(t, app)

	browserSignup(t, ctx, base, "tcp@example.com")

	run(t, ctx, "open the form", chromedp.Navigate(base+"/monitors/new"), chromedp.WaitVisible(`input[name="check.url"]`))
	run(t, ctx, "choose TCP", chromedp.Click(`a[href="/monitors/new?kind=tcp"]`), chromedp.WaitVisible(`input[name="check.host"]`))
	if n := value(t, ctx, "url fields", chromedp.Evaluate[int](`document.querySelectorAll('[name="check.url"]').length`)); n != 0 {
		t.Fatalf("the TCP form still shows the URL field")
	}
	run(t, ctx, "fill the form",
		chromedp.SendKeys(`input[name="name"]`, "Banner port"),
		chromedp.SendKeys(`input[name="check.host"]`, "127.0.0.1"),
		chromedp.SendKeys(`input[name="check.port"]`, port),
		chromedp.SendKeys(`input[name="check.expect"]`, "220"),
		chromedp.SetValue(`input[name="interval_seconds"]`, "1"),
		chromedp.SetValue(`input[name="timeout_ms"]`, "500"),
		chromedp.SetValue(`input[name="failure_threshold"]`, "1"),
		chromedp.SetValue(`input[name="recovery_threshold"]`, "1"),
	)
	screenshot(t, ctx, "monitor-form-tcp")
	run(t, ctx, "save", chromedp.Submit(`input[name="check.host"]`))
	waitText(t, ctx, "", "TCP port 127.0.0.1:"+port, 10*time.Second)
	detail := value(t, ctx, "detail URL", chromedp.Location())

	// Up, with the kind's evidence under the region.
	waitText(t, ctx, detail, "220 browser ready", 30*time.Second)
	screenshot(t, ctx, "monitor-detail-tcp")
	waitFor(t, ctx, base+"/", `document.querySelector("tbody .pill-up") !== null`, 30*time.Second)
	if row := value(t, ctx, "overview row", chromedp.Text("tbody tr")); !strings.Contains(row, "TCP 127.0.0.1:"+port) {
		t.Fatalf("overview row reads %q, want the kind and target", row)
	}

	// Close the port: down, and the region names the connect class.
	_ = ln.Close()
	waitFor(t, ctx, base+"/", `document.querySelector("tbody .pill-down") !== null`, 30*time.Second)
	waitText(t, ctx, detail, "connect", 30*time.Second)
	screenshot(t, ctx, "monitor-detail-tcp-down")
}

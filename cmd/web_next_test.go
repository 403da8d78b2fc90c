package cmd

import (
	"net/http"
	"net/url"
	"testing"
)

// TestLoginNextStaysOnSite posts the login form with next values as a
// client sends them (form-encoded, so %09 arrives as a tab) and checks the
// Location a browser would follow after the normalisation browsers apply:
// tab, CR and LF dropped, backslash read as slash.
func TestLoginNextStaysOnSite(t *testing.T) {
	app := MustApp(t, backends()[0].cfg(t))
	mustSignup(t, app, "ada@example.com")
	for _, tc := range []struct {
		name, raw, want string // raw is next as it appears in the form body
	}{
		{"encoded tab before a second slash", "/%09/evil.test/", "/"},
		{"literal tab", "/\t/evil", "/"},
		{"encoded CR LF", "/%0D%0A/evil", "/"},
		{"backslash", `/\evil`, "/"},
		{"encoded backslash", "/%5Cevil", "/"},
		{"backslash then slash", `\/evil`, "/"},
		{"protocol-relative", "//evil", "/"},
		{"absolute url", "https://evil", "/"},
		{"javascript", "javascript:alert(1)", "/"},
		{"encoded slash decodes to //", "/%2F/evil", "/"},
		{"double-encoded slash is a path here", "/%252F/evil", "/%2F/evil"},
		{"query kept", "/ok?x=1", "/ok?x=1"},
		{"monitor page kept", "/monitors/3", "/monitors/3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form, err := url.ParseQuery("next=" + tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			form.Set("email", "ada@example.com")
			form.Set("password", "correct horse")
			b := newBrowser(t, app)
			b.get("/login")
			r := b.post("/login", form)
			if r.Status != http.StatusSeeOther || r.Header.Get("Location") != tc.want {
				t.Errorf("next=%q: %d Location %q, want %q", form.Get("next"), r.Status, r.Header.Get("Location"), tc.want)
			}
		})
	}
}

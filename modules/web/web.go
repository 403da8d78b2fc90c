// Package web is the server-rendered shell shared by the dashboard and the
// public status pages: templates parsed once at start from ui.FS (a broken
// template stops the process, not a request), static assets under
// content-hashed URLs, security headers with a strict Content-Security-
// Policy, session cookies, CSRF protection and flash messages.
//
// Pages are typed: each page's data embeds Page, which carries what the
// layout needs (title, signed-in user, CSRF token, flash, nav).
package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// Page is what every page's layout reads. Page data structs embed it.
type Page struct {
	Title string
	User  string // email of the signed-in user, "" on public pages
	CSRF  string
	Flash string
	Nav   string // active section: overview, incidents, status-pages, settings
	// The workspace the pages show, the person's role there, and the
	// others they can switch to (the header's switcher).
	Workspace  string
	Role       string
	Workspaces []WorkspaceChoice
}

// WorkspaceChoice is one workspace in the header's switcher.
type WorkspaceChoice struct {
	Key, Name string
	Current   bool
}

// Renderer executes the page templates.
type Renderer struct {
	pages  map[string]*template.Template
	assets *Assets
	log    *slog.Logger
}

// NewRenderer parses every page under templates/pages and templates/status
// of fsys with the layouts and partials. Page "pages/overview" is the file
// templates/pages/overview.html.
func NewRenderer(fsys fs.FS, assets *Assets, extra template.FuncMap, log *slog.Logger) (*Renderer, error) {
	funcs := Funcs(assets)
	for k, v := range extra {
		funcs[k] = v
	}
	shared, err := template.New("").Funcs(funcs).ParseFS(fsys, "templates/layout/*.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("ui templates: %w", err)
	}
	r := &Renderer{pages: map[string]*template.Template{}, assets: assets, log: log}
	for _, dir := range []string{"pages", "status"} {
		files, err := fs.Glob(fsys, "templates/"+dir+"/*.html")
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			set, err := shared.Clone()
			if err != nil {
				return nil, err
			}
			raw, err := fs.ReadFile(fsys, f)
			if err != nil {
				return nil, err
			}
			name := dir + "/" + strings.TrimSuffix(path.Base(f), ".html")
			if _, err := set.New(name).Parse(string(raw)); err != nil {
				return nil, fmt.Errorf("ui template %s: %w", f, err)
			}
			r.pages[name] = set
		}
	}
	return r, nil
}

// Render writes page with data and status. The page is rendered into a
// buffer first, so a template error answers a clean 500, not half a page.
func (r *Renderer) Render(c echo.Context, status int, page string, data any) error {
	return r.RenderBlock(c, status, page, page, data)
}

// RenderBlock writes one named template of page's set (a fragment that a
// page polls, for instance).
func (r *Renderer) RenderBlock(c echo.Context, status int, page, block string, data any) error {
	set, ok := r.pages[page]
	if !ok {
		return fmt.Errorf("ui: no page %q", page)
	}
	var buf bytes.Buffer
	if err := set.ExecuteTemplate(&buf, block, data); err != nil {
		return fmt.Errorf("render %s/%s: %w", page, block, err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// ErrorData is the error page's data.
type ErrorData struct {
	Page
	Status  int
	Message string
}

// Error renders the error page: the status and a message meant for users,
// never internals (the server's error handler already made it generic).
func (r *Renderer) Error(c echo.Context, status int, message string) error {
	title := http.StatusText(status)
	return r.Render(c, status, "pages/error", ErrorData{Page: Page{Title: title, CSRF: CSRFToken(c), User: UserEmail(c)}, Status: status, Message: message})
}

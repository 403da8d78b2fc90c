package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// Assets serves the files under static/ at /static/<hash>/<name>. The hash
// changes with the content, so the files are cached for a year and a new
// release is fetched at once.
type Assets struct {
	files map[string]asset // by name
}

type asset struct {
	hash string
	body []byte
	typ  string
}

// NewAssets reads and hashes every file under static/ of fsys.
func NewAssets(fsys fs.FS) (*Assets, error) {
	a := &Assets{files: map[string]asset{}}
	err := fs.WalkDir(fsys, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		typ := mime.TypeByExtension(path.Ext(p))
		if typ == "" {
			typ = "application/octet-stream"
		}
		a.files[strings.TrimPrefix(p, "static/")] = asset{hash: hex.EncodeToString(sum[:])[:12], body: body, typ: typ}
		return nil
	})
	return a, err
}

// URL returns the hashed URL of a static file; an unknown name panics at
// template execution time in tests rather than shipping a broken link.
func (a *Assets) URL(name string) string {
	f, ok := a.files[name]
	if !ok {
		panic("web: no static file " + name)
	}
	return "/static/" + f.hash + "/" + name
}

// Register serves the files.
func (a *Assets) Register(e *echo.Echo) {
	e.GET("/static/:hash/*", func(c echo.Context) error {
		f, ok := a.files[c.Param("*")]
		if !ok {
			return echo.ErrNotFound
		}
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if c.Param("hash") == f.hash {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache") // an old hash still answers, but is not pinned
		}
		return c.Blob(http.StatusOK, f.typ, f.body)
	})
}

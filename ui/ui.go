// Package ui holds the dashboard's and the public status pages' templates
// and static assets, embedded in the binary so one file is the whole product.
//
//	templates/layout/    base layouts: "app" (dashboard), "public" (status pages, auth)
//	templates/partials/  blocks shared by pages
//	templates/pages/     one file per dashboard page
//	templates/status/    one file per public page
//	static/              CSS, the small enhancement script, icons
//
// modules/web parses them (one template set per page, at start) and serves
// the static files under content-hashed URLs.
package ui

import "embed"

// FS is the embedded templates and static files.
//
//go:embed templates static
var FS embed.FS

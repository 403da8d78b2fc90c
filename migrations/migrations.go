// Package migrations embeds the numbered SQL migrations, one folder per
// dialect. Each file is applied in its own transaction by `betterstack
// migrate` (or at start with auto_migrate).
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS

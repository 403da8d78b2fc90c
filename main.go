// Command betterstack is a self-hosted, multi-region website and service
// monitor. See README.md.
package main

import (
	"os"

	"github.com/betterstack/betterstack/cmd"
)

func main() { os.Exit(cmd.Execute()) }

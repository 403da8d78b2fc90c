package cmd

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/heartbeat"
)

// exitCodeError ends the process with code, printing nothing: the code is
// the wrapped command's own.
type exitCodeError struct{ code int }

func (e exitCodeError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func newPingCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "ping URL-or-token -- command [args...]",
		Short: "Run a command as a heartbeat job: ping start, then its exit code and the end of its output",
		Long: `Run a command and report it to a heartbeat monitor: /start before it runs, then
its exit code with the last 10 KB of its output (stdout and stderr, which still
reach the terminal). Exits with the command's own exit code; a ping that fails
is reported on stderr and never changes it.

The first argument is the monitor's ping URL, or its token alone: then the URL
is public_url (or http://<http_addr>) plus /ping/<token>.

  betterstack ping https://status.example.com/ping/Xk3... -- /usr/local/bin/backup.sh --full`,
		// A token is 24 URL-safe characters and one in 64 begins with
		// "-", which flag parsing would take for flags ("unknown
		// shorthand flag"). So this command splits its own arguments
		// (pingArgs) and parses only the flags it finds.
		DisableFlagParsing: true,
		SilenceUsage:       true,
		RunE: func(cmd *cobra.Command, raw []string) error {
			fs := pflag.NewFlagSet("ping", pflag.ContinueOnError)
			fs.AddFlagSet(cmd.InheritedFlags())
			fs.SetOutput(io.Discard)
			target, flags, command, help, err := pingArgs(raw, func(name string) bool {
				f := fs.Lookup(name)
				return f == nil || f.NoOptDefVal == "" // unknown: Parse below names it
			})
			if help {
				return cmd.Help()
			}
			if err != nil {
				return err
			}
			if err := fs.Parse(flags); err != nil {
				return err
			}
			if target == "" || len(command) == 0 {
				return errNoCommand
			}
			if !strings.Contains(target, "://") {
				cfg, err := loadConfig(cmd, g, nil)
				if err != nil {
					return err
				}
				target = pingBase(cfg) + "/ping/" + target
			}
			c := exec.Command(command[0], command[1:]...)
			c.Stdin, c.Stdout, c.Stderr = os.Stdin, cmd.OutOrStdout(), cmd.ErrOrStderr()
			code, err := heartbeat.RunAndReport(cmd.Context(), target, nil, c, cmd.ErrOrStderr())
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "betterstack:", err)
			}
			if code != 0 {
				return exitCodeError{code}
			}
			return nil
		},
	}
}

var errNoCommand = errors.New("write the command after --: betterstack ping URL-or-token -- command args")

// pingArgs splits ping's arguments: before "--" the flags (each begins
// with "--"; without "=", one that takesValue takes the next argument as
// its value) and the target, the one argument that is neither, whatever
// its first character; after "--" the command. help is true for -h or
// --help before "--".
func pingArgs(raw []string, takesValue func(name string) bool) (target string, flags, command []string, help bool, err error) {
	dash := slices.Index(raw, "--")
	if dash < 0 {
		return "", nil, nil, slices.Contains(raw, "-h") || slices.Contains(raw, "--help"), errNoCommand
	}
	before, command := raw[:dash], raw[dash+1:]
	for i := 0; i < len(before); i++ {
		switch a := before[i]; {
		case a == "-h" || a == "--help":
			help = true
		case strings.HasPrefix(a, "--"):
			flags = append(flags, a)
			if !strings.Contains(a, "=") && takesValue(a[2:]) && i+1 < len(before) {
				i++
				flags = append(flags, before[i])
			}
		case target != "":
			return "", nil, nil, false, fmt.Errorf("one URL or token before --, not %q and %q", target, a)
		default:
			target = a
		}
	}
	return target, flags, command, help, nil
}

// pingBase is where this installation answers pings: public_url, or the
// HTTP address (on loopback when it binds every interface).
func pingBase(cfg config.Config) string {
	if cfg.PublicURL != "" {
		return strings.TrimRight(cfg.PublicURL, "/")
	}
	host, port, err := net.SplitHostPort(cfg.HTTPAddr)
	if err != nil {
		return "http://" + cfg.HTTPAddr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

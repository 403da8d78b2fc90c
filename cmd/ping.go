package cmd

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"

	"github.com/spf13/cobra"

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
		Args:         cobra.MinimumNArgs(2),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 1 {
				return fmt.Errorf("write the command after --: betterstack ping URL-or-token -- command args")
			}
			target := args[0]
			if !strings.Contains(target, "://") {
				cfg, err := loadConfig(cmd, g, nil)
				if err != nil {
					return err
				}
				target = pingBase(cfg) + "/ping/" + target
			}
			c := exec.Command(args[1], args[2:]...)
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

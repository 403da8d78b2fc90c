// Package cmd is BetterStack's command line and its one composition root:
// it reads the configuration, opens the database and Redis, builds every
// module's service with explicit dependencies and runs the chosen roles.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/betterstack/betterstack/modules/config"
)

// globalFlags are shared by every command.
type globalFlags struct {
	configFile string
	logFormat  string
	logLevel   string
}

// Execute runs the command line and returns the process exit code.
func Execute() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	if err := root.ExecuteContext(ctx); err != nil {
		var ec exitCodeError
		if errors.As(err, &ec) {
			return ec.code // a wrapped command's own exit code
		}
		fmt.Fprintln(root.ErrOrStderr(), "betterstack:", err)
		return 1
	}
	return 0
}

func newRootCmd() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:           "betterstack",
		Short:         "Self-hosted, multi-region website and service monitoring",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.configFile, "config", "", "YAML configuration file (see configs/betterstack.example.yaml)")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "", "log format: text or json (BETTERSTACK_LOG_FORMAT)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "", "log level: debug, info, warn, error (BETTERSTACK_LOG_LEVEL)")
	root.AddCommand(
		newServeCmd(g),
		newMigrateCmd(g),
		newUserCmd(g),
		newConfigCmd(g),
		newVersionCmd(),
		newCheckCmd(),
		newBenchCmd(),
		newPingCmd(g),
	)
	return root
}

// loadConfig reads file, environment and the changed flags, in that order.
// flagKeys maps flag names to config keys.
func loadConfig(cmd *cobra.Command, g *globalFlags, flagKeys map[string]string) (config.Config, error) {
	cfg, err := config.Load(g.configFile, os.LookupEnv)
	if err != nil {
		return cfg, err
	}
	if g.logFormat != "" {
		if err := cfg.Set("log_format", g.logFormat); err != nil {
			return cfg, err
		}
	}
	if g.logLevel != "" {
		if err := cfg.Set("log_level", g.logLevel); err != nil {
			return cfg, err
		}
	}
	for flag, key := range flagKeys {
		f := cmd.Flags().Lookup(flag)
		if f != nil && f.Changed {
			if err := cfg.Set(key, f.Value.String()); err != nil {
				return cfg, err
			}
		}
	}
	return cfg, nil
}

// newLogger builds the process's one logger.
func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// errInvalidConfig prefixes configuration errors so users know where to look.
func errInvalidConfig(err error) error {
	return errors.Join(errors.New("invalid configuration:"), err)
}

package cmd

import (
	"github.com/spf13/cobra"
)

func newServeCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run BetterStack's roles (all of them by default)",
		Long: `Runs the chosen roles in one process.

  betterstack serve                                   everything, embedded SQLite + in-process queue
  betterstack serve --role=api,dashboard,pusher,alerter   the central roles on PostgreSQL + Redis
  betterstack serve --role=worker --region=frankfurt  a regional worker (needs only Redis)

Roles: api, dashboard, pusher, worker, alerter, all.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, g, map[string]string{
				"role": "roles", "region": "region", "worker-id": "worker_id", "http-addr": "http_addr",
			})
			if err != nil {
				return err
			}
			log := newLogger(cmd.ErrOrStderr(), cfg.LogFormat, cfg.LogLevel)
			app, err := NewApp(cmd.Context(), cfg, log, Options{})
			if err != nil {
				return err
			}
			defer app.Close()
			if err := app.Listen(); err != nil {
				return err
			}
			err = app.Run(cmd.Context())
			log.Info("betterstack stopped")
			return err
		},
	}
	f := cmd.Flags()
	f.String("role", "all", "comma-separated roles: api, dashboard, pusher, worker, alerter, all (BETTERSTACK_ROLES)")
	f.String("region", "local", "region of this process's worker (BETTERSTACK_REGION)")
	f.String("worker-id", "", "worker id, default hostname-pid (BETTERSTACK_WORKER_ID)")
	f.String("http-addr", ":8080", "HTTP listen address (BETTERSTACK_HTTP_ADDR)")
	return cmd
}

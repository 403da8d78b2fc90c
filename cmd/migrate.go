package cmd

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/betterstack/betterstack/modules/database"
)

func newMigrateCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:       "migrate [up|status]",
		Short:     "Apply pending database migrations (up, the default) or list them (status)",
		Args:      cobra.MatchAll(cobra.MaximumNArgs(1), cobra.OnlyValidArgs),
		ValidArgs: []string{"up", "status"},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd, g, nil)
			if err != nil {
				return err
			}
			db, err := database.Open(cmd.Context(), database.Config{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, MaxConns: 2})
			if err != nil {
				return fmt.Errorf("BETTERSTACK_DATABASE_URL: %w", err)
			}
			defer db.Close()
			out := cmd.OutOrStdout()
			if len(args) == 1 && args[0] == "status" {
				st, err := db.Status(cmd.Context())
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "VERSION\tNAME\tSTATE\tAPPLIED AT")
				for _, m := range st {
					state, at := "pending", ""
					if m.Applied {
						state, at = "applied", m.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
					}
					fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", m.Version, m.Name, state, at)
				}
				return w.Flush()
			}
			applied, err := db.MigrateUp(cmd.Context())
			for _, m := range applied {
				fmt.Fprintf(out, "applied %d %s\n", m.Version, m.Name)
			}
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintln(out, "schema is up to date")
			}
			return nil
		},
	}
}

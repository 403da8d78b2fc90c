package cmd

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newConfigCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration (secrets masked) and check it",
		Long: "Prints every setting as it would apply: defaults, then the --config file, then BETTERSTACK_* environment variables.\n" +
			"Exits non-zero and names the setting when the configuration is invalid.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, g, nil)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "KEY\tVALUE\tENVIRONMENT")
			for _, s := range cfg.Effective() {
				fmt.Fprintf(w, "%s\t%s\t%s\n", s.Key, s.Value, s.Env)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return errInvalidConfig(err)
			}
			return nil
		},
	}
}

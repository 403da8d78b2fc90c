package cmd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/betterstack/betterstack/modules/auth"
	"github.com/betterstack/betterstack/modules/database"
)

func newUserCmd(g *globalFlags) *cobra.Command {
	user := &cobra.Command{Use: "user", Short: "Manage user accounts"}
	var email, passwordFile string
	withAuth := func(cmd *cobra.Command, fn func(*auth.Service, string) error) error {
		cfg, err := loadConfig(cmd, g, nil)
		if err != nil {
			return err
		}
		if email == "" {
			return errors.New("--email is required")
		}
		password, err := readPassword(cmd.InOrStdin(), passwordFile)
		if err != nil {
			return err
		}
		db, err := database.Open(cmd.Context(), database.Config{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, MaxConns: 2})
		if err != nil {
			return fmt.Errorf("BETTERSTACK_DATABASE_URL: %w", err)
		}
		defer db.Close()
		log := newLogger(io.Discard, "text", "error")
		if err := db.EnsureSchema(cmd.Context(), cfg.AutoMigrateEnabled(), log); err != nil {
			return err
		}
		// The CLI issues no tokens; any 32-byte key satisfies the service.
		svc, err := auth.New(db, auth.Config{JWTSecret: make([]byte, 32), JWTTTL: cfg.JWTTTL, LoginMaxFails: 1, LoginWindow: cfg.LoginWindow}, log)
		if err != nil {
			return err
		}
		return fn(svc, password)
	}
	create := &cobra.Command{
		Use:   "create --email EMAIL [--password-file FILE]",
		Short: "Create a user; the password is read from --password-file or standard input",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withAuth(cmd, func(svc *auth.Service, password string) error {
				u, err := svc.CreateUser(cmd.Context(), email, password)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "created user %d %s\n", u.ID, u.Email)
				return err
			})
		},
	}
	passwd := &cobra.Command{
		Use:   "set-password --email EMAIL [--password-file FILE]",
		Short: "Set a user's password (signs out every session); read from --password-file or standard input",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withAuth(cmd, func(svc *auth.Service, password string) error {
				if err := svc.SetPassword(cmd.Context(), email, password); err != nil {
					return err
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "password changed for %s\n", email)
				return err
			})
		},
	}
	for _, c := range []*cobra.Command{create, passwd} {
		c.Flags().StringVar(&email, "email", "", "the user's email address")
		c.Flags().StringVar(&passwordFile, "password-file", "", "file holding the password (first line); default: standard input")
	}
	user.AddCommand(create, passwd)
	return user
}

// readPassword takes the first line of the file, or of stdin.
func readPassword(stdin io.Reader, file string) (string, error) {
	r := stdin
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		defer f.Close()
		r = f
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password given: pipe it on standard input or use --password-file")
	}
	return line, nil
}

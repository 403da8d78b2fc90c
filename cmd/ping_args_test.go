package cmd

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// valued says which flags take a value in TestPingArgs: all but a
// boolean --dry-run.
func valued(name string) bool { return name != "dry-run" }

// TestPingArgs: a token that begins with "-" (one in 64 do) is the target,
// not flags; flags before "--" are kept with their values in either form,
// a boolean one without taking the next argument; what follows "--" is
// the command, flags and all.
func TestPingArgs(t *testing.T) {
	const tok = "-kKi69_MohtqSKWsk5HcCMGU" // a token CI drew
	for _, c := range []struct {
		raw            []string
		target         string
		flags, command []string
		help           bool
		err            string
	}{
		{raw: []string{tok, "--", "sh", "-c", "exit 3"}, target: tok, command: []string{"sh", "-c", "exit 3"}},
		{raw: []string{"--config", "/etc/b.yaml", tok, "--log-level=debug", "--", "true"}, target: tok,
			flags: []string{"--config", "/etc/b.yaml", "--log-level=debug"}, command: []string{"true"}},
		{raw: []string{"https://x.example/ping/" + tok, "--", "backup", "--full", "--"}, target: "https://x.example/ping/" + tok,
			command: []string{"backup", "--full", "--"}},
		{raw: []string{"--help"}, help: true, err: "after --"},
		{raw: []string{tok, "-h", "--", "true"}, target: tok, command: []string{"true"}, help: true},
		{raw: []string{tok, "sh", "-c", "true"}, err: "write the command after --"},
		{raw: []string{tok, "other", "--", "true"}, err: "one URL or token before --"},
		{raw: []string{"--dry-run", tok, "--", "true"}, target: tok, flags: []string{"--dry-run"}, command: []string{"true"}},
	} {
		target, flags, command, help, err := pingArgs(c.raw, valued)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || help != c.help {
				t.Errorf("%q: error %v help %v, want one saying %q, help %v", c.raw, err, help, c.err, c.help)
			}
			continue
		}
		if err != nil || target != c.target || !slices.Equal(flags, c.flags) || !slices.Equal(command, c.command) || help != c.help {
			t.Errorf("%q: target %q flags %q command %q help %v err %v; want %q %q %q %v", c.raw, target, flags, command, help, err,
				c.target, c.flags, c.command, c.help)
		}
	}
	if _, _, _, _, err := pingArgs([]string{tok}, valued); !errors.Is(err, errNoCommand) {
		t.Errorf("no command: %v", err)
	}
}

// TestPingFlagsAndDashToken: through the whole command line, a token that
// begins with "-" after a global flag is the target, the flag is applied
// (its missing file refused, named), and an unknown flag is refused.
func TestPingFlagsAndDashToken(t *testing.T) {
	missing := t.TempDir() + "/missing.yaml"
	r := runCLI(t, t.Context(), "", "ping", "--config", missing, "-kKi69_MohtqSKWsk5HcCMGU", "--", "true")
	if r.err == nil || !strings.Contains(r.err.Error(), "missing.yaml") {
		t.Fatalf("--config of a missing file: %v, want an error naming it", r.err)
	}
	r = runCLI(t, t.Context(), "", "ping", "--nope", "x", "-kKi69_MohtqSKWsk5HcCMGU", "--", "true")
	if r.err == nil || !strings.Contains(r.err.Error(), "nope") {
		t.Fatalf("an unknown flag: %v, want an error naming it", r.err)
	}
}

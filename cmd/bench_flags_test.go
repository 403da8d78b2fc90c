package cmd

import (
	"bytes"
	"strings"
	"testing"
)

// TestBenchProfileFlags: bench spells its profile flags as every other
// flag (and as bench web does); the older spellings still work, hidden
// from the help, and set the same value.
func TestBenchProfileFlags(t *testing.T) {
	for _, tc := range []struct{ flag, name string }{
		{"--cpu-profile", "cpu-profile"}, {"--cpuprofile", "cpu-profile"},
		{"--mem-profile", "mem-profile"}, {"--memprofile", "mem-profile"},
	} {
		cmd := newBenchCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		if err := cmd.ParseFlags([]string{tc.flag, "/tmp/p.out"}); err != nil {
			t.Fatalf("%s: %v", tc.flag, err)
		}
		if got := cmd.Flags().Lookup(tc.name).Value.String(); got != "/tmp/p.out" {
			t.Errorf("%s sets --%s to %q, want /tmp/p.out", tc.flag, tc.name, got)
		}
		if strings.TrimPrefix(tc.flag, "--") != tc.name && !strings.Contains(out.String(), "use --"+tc.name) {
			t.Errorf("%s: no notice naming --%s (output %q)", tc.flag, tc.name, out.String())
		}
	}
	help := newBenchCmd().UsageString()
	if !strings.Contains(help, "--cpu-profile") || strings.Contains(help, "--cpuprofile") || strings.Contains(help, "--memprofile") {
		t.Errorf("help lists the old spellings or not the new:\n%s", help)
	}
}

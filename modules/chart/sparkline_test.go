package chart

import (
	"math"
	"strings"
	"testing"
)

func TestSparkline(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name     string
		values   []float64
		wantPath bool
		wantRuns int    // M commands: one per run between gaps
		wantDots int    // single-point runs, drawn as "h0"
		wantInD  string // a fragment of the path data
	}{
		{"empty", nil, false, 0, 0, ""},
		{"all NaN", []float64{nan, nan}, false, 0, 0, ""},
		{"continuous", []float64{1, 3, 2, 5}, true, 1, 0, "M0.0 22.0L33.3 12.0L66.7 17.0L100.0 2.0"},
		{"one gap splits the line", []float64{1, 2, nan, 3, 4}, true, 2, 0, ""},
		{"two gaps", []float64{1, 2, nan, 3, 4, nan, nan, 5, 6}, true, 3, 0, ""},
		{"leading and trailing gaps", []float64{nan, 1, 2, nan}, true, 1, 0, ""},
		{"isolated point is a dot", []float64{1, nan, 2, nan, 3, 4}, true, 3, 2, ""},
		{"infinity is a gap", []float64{1, math.Inf(1), 2, 3}, true, 2, 1, ""},
		{"flat line across the middle", []float64{7, 7, 7}, true, 1, 0, "M0.0 12.0L50.0 12.0L100.0 12.0"},
		{"single value centred", []float64{42}, true, 1, 1, "M50.0 12.0h0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := string(Sparkline(tt.values, 100, 24, "Response time"))
			root := mustParse(t, out)
			checkAccessible(t, root, "Response time")
			if root.attr["viewBox"] != "0 0 100 24" || root.attr["preserveAspectRatio"] != "none" || root.attr["width"] != "100%" {
				t.Errorf("sizing attributes: %v", root.attr)
			}
			paths := root.find("path", "spark")
			if !tt.wantPath {
				if len(paths) != 0 {
					t.Fatalf("want an empty frame, got %d paths", len(paths))
				}
				return
			}
			if len(paths) != 1 {
				t.Fatalf("got %d spark paths, want 1:\n%s", len(paths), out)
			}
			d := paths[0].attr["d"]
			if got := strings.Count(d, "M"); got != tt.wantRuns {
				t.Errorf("M commands = %d, want %d in %q", got, tt.wantRuns, d)
			}
			if got := strings.Count(d, "h0"); got != tt.wantDots {
				t.Errorf("dots = %d, want %d in %q", got, tt.wantDots, d)
			}
			if !strings.Contains(d, tt.wantInD) {
				t.Errorf("d = %q, want it to contain %q", d, tt.wantInD)
			}
		})
	}
}

func TestSparklineDefaultsAndEscaping(t *testing.T) {
	out := string(Sparkline([]float64{1, 2}, 0, -5, hostile))
	root := mustParse(t, out)
	checkAccessible(t, root, hostile)
	checkEscaped(t, out)
	if root.attr["viewBox"] != "0 0 100 24" || root.attr["height"] != "24" {
		t.Errorf("default size: viewBox %q height %q", root.attr["viewBox"], root.attr["height"])
	}
	if strings.Contains(out, "style=") {
		t.Error("inline style attribute breaks the CSP")
	}
}

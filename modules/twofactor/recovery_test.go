package twofactor

import (
	"regexp"
	"strings"
	"testing"
)

var recoveryShape = regexp.MustCompile(`^[` + recoveryAlphabet + `]{5}-[` + recoveryAlphabet + `]{5}$`)

func mustRecoveryCodes(t *testing.T) (plain, hashes []string) {
	t.Helper()
	plain, hashes, err := NewRecoveryCodes()
	if err != nil {
		t.Fatal(err)
	}
	return plain, hashes
}

func TestRecoveryAlphabet(t *testing.T) {
	if strings.ContainsAny(recoveryAlphabet, "0o1liIO") {
		t.Fatalf("alphabet %q holds a look-alike", recoveryAlphabet)
	}
	seen := map[rune]bool{}
	for _, r := range recoveryAlphabet {
		if seen[r] {
			t.Fatalf("alphabet repeats %q: its letters would be drawn twice as often", r)
		}
		seen[r] = true
	}
	if len(seen) != 31 {
		t.Fatalf("alphabet has %d characters, want 31", len(seen))
	}
}

func TestNewRecoveryCodes(t *testing.T) {
	plain, hashes := mustRecoveryCodes(t)
	if len(plain) != 10 || len(hashes) != 10 {
		t.Fatalf("%d codes and %d hashes, want 10 and 10", len(plain), len(hashes))
	}
	seen := map[string]bool{}
	for i, c := range plain {
		if !recoveryShape.MatchString(c) {
			t.Errorf("code %q is not like abcde-fghjk", c)
		}
		if seen[c] || seen[hashes[i]] {
			t.Errorf("code %d (%s) or its hash repeats", i, c)
		}
		seen[c], seen[hashes[i]] = true, true
		if len(hashes[i]) != 64 || strings.Trim(hashes[i], "0123456789abcdef") != "" {
			t.Errorf("hash %q is not SHA-256 hex", hashes[i])
		}
		if strings.Contains(hashes[i], strings.ReplaceAll(c, "-", "")) {
			t.Errorf("hash %q holds the code", hashes[i])
		}
		if got := MatchRecovery(hashes, c); got != i {
			t.Errorf("MatchRecovery(code %d) = %d", i, got)
		}
	}
	again, _ := mustRecoveryCodes(t)
	for _, c := range again {
		if seen[c] {
			t.Errorf("a second set repeats %s", c)
		}
	}
}

// The stored form is fixed: hashes kept by one release must match in the
// next. SHA-256 of "abcdefghjk", lower case, no dash.
func TestRecoveryHashFormat(t *testing.T) {
	const want = "22f3f00d7f9cfe6eeefa9b71bdcb093a9080fcf4981d2dbf932648fa15a2d793"
	if got := MatchRecovery([]string{"", want}, "abcde-fghjk"); got != 1 {
		t.Fatalf("MatchRecovery = %d, want 1", got)
	}
}

func TestMatchRecovery(t *testing.T) {
	plain, hashes := mustRecoveryCodes(t)
	other, _ := mustRecoveryCodes(t)
	c := plain[4]
	bare := strings.ReplaceAll(c, "-", "")
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"as shown", c, 4},
		{"upper case", strings.ToUpper(c), 4},
		{"without the dash", bare, 4},
		{"a space for the dash", bare[:5] + " " + bare[5:], 4},
		{"surrounding white space", "\t " + c + "\r\n", 4},
		{"dashes and spaces anywhere", strings.Join(strings.Split(bare, ""), "- "), 4},
		{"empty", "", -1},
		{"one character changed", flipFirst(c), -1},
		{"a character missing", c[:len(c)-1], -1},
		{"a character added", c + "a", -1},
		{"from another set", other[4], -1},
		{"the hash itself", hashes[4], -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MatchRecovery(hashes, tt.in); got != tt.want {
				t.Fatalf("MatchRecovery(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

// Spending a code: once its hash is gone or blanked it no longer matches,
// and the others still match at their index.
func TestMatchRecovery_Spent(t *testing.T) {
	plain, hashes := mustRecoveryCodes(t)
	hashes[3] = ""
	for i, c := range plain {
		want := i
		if i == 3 {
			want = -1
		}
		if got := MatchRecovery(hashes, c); got != want {
			t.Errorf("code %d: MatchRecovery = %d, want %d", i, got, want)
		}
	}
	if got := MatchRecovery(nil, plain[0]); got != -1 {
		t.Errorf("no hashes: MatchRecovery = %d, want -1", got)
	}
}

// flipFirst replaces the first character of a code with another of the
// alphabet.
func flipFirst(code string) string {
	r := "2"
	if code[0] == '2' {
		r = "3"
	}
	return r + code[1:]
}

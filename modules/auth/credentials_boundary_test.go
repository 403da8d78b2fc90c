package auth

import (
	"strings"
	"testing"
)

func TestValidatePassword_8CharactersTo1024Bytes(t *testing.T) {
	for _, tc := range []struct {
		name, password, want string
	}{
		{"empty", "", "is required"},
		{"1 character", "a", "must be at least 8 characters"},
		{"7 characters", "abcdefg", "must be at least 8 characters"},
		{"8 characters", "abcdefgh", ""},
		{"7 two-byte characters (14 bytes)", strings.Repeat("é", 7), "must be at least 8 characters"},
		{"8 two-byte characters", strings.Repeat("é", 8), ""},
		{"1024 bytes", strings.Repeat("a", 1024), ""},
		{"1025 bytes", strings.Repeat("a", 1025), "must be at most 1024 bytes"},
		{"512 two-byte characters (1024 bytes)", strings.Repeat("é", 512), ""},
		{"513 two-byte characters (1026 bytes)", strings.Repeat("é", 513), "must be at most 1024 bytes"},
	} {
		if got := validatePassword(tc.password); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestValidateEmail_AnAddressOfAtMost254Characters(t *testing.T) {
	// local@domain of exactly n characters.
	sized := func(n int) string { return strings.Repeat("a", n-len("@example.com")) + "@example.com" }
	invalid := "must be a valid email address like name@example.com"
	for _, tc := range []struct {
		name, email, want string
	}{
		{"empty", "", "is required"},
		{"plain", "name@example.com", ""},
		{"one-letter local part", "a@example.com", ""},
		{"a bare domain", "a@b", ""},
		{"254 characters", sized(254), ""},
		{"255 characters", sized(255), "must be at most 254 characters"},
		{"no @", "name.example.com", invalid},
		{"nothing before @", "@example.com", invalid},
		{"nothing after @", "name@", invalid},
		{"two @", "a@b@example.com", invalid},
		{"a display name", "Name <name@example.com>", invalid},
		{"angle brackets", "<name@example.com>", invalid},
		{"spaces around", " name@example.com ", invalid},
		{"a quoted local part", `"a b"@example.com`, invalid},
	} {
		if got := validateEmail(tc.email); got != tc.want {
			t.Errorf("%s (%q): %q, want %q", tc.name, tc.email, got, tc.want)
		}
	}
}

func TestValidateCredentials_NamesEachWrongField(t *testing.T) {
	for _, tc := range []struct {
		email, password string
		fields          []string
	}{
		{"name@example.com", "long enough", nil},
		{"", "long enough", []string{"email"}},
		{"name@example.com", "short", []string{"password"}},
		{"bad", "short", []string{"email", "password"}},
	} {
		err := ValidateCredentials(tc.email, tc.password)
		if len(tc.fields) == 0 {
			if err != nil {
				t.Errorf("%q/%q: %v, want valid", tc.email, tc.password, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%q/%q: valid, want errors on %v", tc.email, tc.password, tc.fields)
			continue
		}
		for _, f := range []string{"email", "password"} {
			named := strings.Contains(err.Error(), f+":")
			want := strings.Contains(strings.Join(tc.fields, " "), f)
			if named != want {
				t.Errorf("%q/%q: error %q names %s: %v, want %v", tc.email, tc.password, err, f, named, want)
			}
		}
	}
}

func TestNormalizeEmail_TrimsOnly(t *testing.T) {
	if got := NormalizeEmail("  Name@Example.com\t"); got != "Name@Example.com" {
		t.Fatalf("NormalizeEmail = %q", got)
	}
}

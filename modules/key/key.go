// Package key makes and checks the stable keys of records people name in
// config and URLs (monitors, channels, maintenance windows, status pages,
// workspaces). A key is unique per workspace, survives renames, and is what
// config-as-code and imports match on, never the numeric id.
//
// Decisions: lower-case ASCII letters, digits and "-", 1 to 63 characters,
// starting with a letter or digit (safe in URLs, YAML and shell without
// quoting). A key left empty is made from the name (Slug) and, if taken,
// gets "-2", "-3"... (Unique). Keys of records that existed before keys did
// are "<kind>-<id>".
package key

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// MaxLen is the longest key.
const MaxLen = 63

// Validate returns "" for a valid key, else what is wrong with it.
func Validate(k string) string {
	if k == "" {
		return "is required"
	}
	if len(k) > MaxLen {
		return "must be at most 63 characters"
	}
	letter := false
	for i, r := range k {
		switch {
		case r >= 'a' && r <= 'z':
			letter = true
		case r >= '0' && r <= '9':
		case r == '-' && i > 0:
		default:
			return "must be lower-case letters, digits and '-', starting with a letter or digit (like shop-api)"
		}
	}
	if !letter {
		return "must contain a letter (a key of digits only would read as an id)"
	}
	return ""
}

// Slug turns a name into a key: accents dropped, other characters become
// single dashes, trimmed to MaxLen. A name with nothing usable gives
// fallback.
func Slug(name, fallback string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(strings.ToLower(name)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		case unicode.Is(unicode.Mn, r):
			// combining accent: dropped
		default:
			dash = true
		}
		if b.Len() >= MaxLen {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if s != "" && strings.Trim(s, "0123456789-") == "" {
		s = fallback + "-" + s // digits only would read as an id
	}
	if len(s) > MaxLen {
		s = strings.TrimRight(s[:MaxLen], "-")
	}
	if s == "" {
		return fallback
	}
	return s
}

// Unique returns base, or base-2, base-3... the first that taken reports
// free. taken is asked at most a few dozen times; past that the caller's
// fallback (an id-based key) is returned.
func Unique(ctx context.Context, base, fallback string, taken func(context.Context, string) (bool, error)) (string, error) {
	for i := 1; i <= 50; i++ {
		k := base
		if i > 1 {
			suffix := "-" + strconv.Itoa(i)
			if len(k)+len(suffix) > MaxLen {
				k = strings.TrimRight(k[:MaxLen-len(suffix)], "-")
			}
			k += suffix
		}
		used, err := taken(ctx, k)
		if err != nil {
			return "", err
		}
		if !used {
			return k, nil
		}
	}
	return fallback, nil
}

func randomSuffix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

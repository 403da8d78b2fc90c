package auth

import (
	"encoding/base64"
	"strings"
	"testing"
)

// cheapArgon keeps these tests fast; the rules do not depend on the cost.
var cheapArgon = argonParams{MemoryKiB: 64, Time: 1, Threads: 1}

func mustHash(t *testing.T, p argonParams, password string) string {
	t.Helper()
	h, err := hashPassword(p, password)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHashPassword_EncodesArgon2idWithTheDefaultCost(t *testing.T) {
	h, err := HashPassword("correct horse", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=1,p=2$") {
		t.Fatalf("hash %q: want argon2id v19 with 64 MiB, 1 pass, 2 lanes", h)
	}
	if !CheckPassword(h, "correct horse") || CheckPassword(h, "correct horsf") {
		t.Fatal("the default hash does not verify its password alone")
	}
}

func TestHashPassword_MemoryOverrideAboveZero(t *testing.T) {
	for mem, want := range map[uint32]string{1: "m=1,", 8: "m=8,", 64: "m=64,"} {
		h, err := HashPassword("pw", mem)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(h, "$"+want) {
			t.Errorf("memory %d: hash %q, want %s", mem, h, want)
		}
	}
}

func TestHashPassword_SaltedEachTime(t *testing.T) {
	a, b := mustHash(t, cheapArgon, "same"), mustHash(t, cheapArgon, "same")
	if a == b {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	parts := strings.Split(a, "$")
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) != 16 {
		t.Fatalf("salt %q: %d bytes, %v; want 16", parts[4], len(salt), err)
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) != 32 {
		t.Fatalf("key %q: %d bytes, %v; want 32", parts[5], len(key), err)
	}
}

func TestCheckPassword_OnlyTheRightPassword(t *testing.T) {
	h := mustHash(t, cheapArgon, "pässwörd 1")
	for pw, want := range map[string]bool{
		"pässwörd 1":  true,
		"pässwörd 2":  false,
		"passwort 1":  false,
		"pässwörd 1 ": false,
		"":            false,
	} {
		if got := checkPassword(h, pw); got != want {
			t.Errorf("checkPassword(%q) = %v, want %v", pw, got, want)
		}
	}
}

// The cost is read from each hash, so hashes made with other settings
// (older, or raised later) keep verifying.
func TestCheckPassword_UsesTheCostInTheHash(t *testing.T) {
	for _, p := range []argonParams{{MemoryKiB: 32, Time: 2, Threads: 1}, {MemoryKiB: 128, Time: 1, Threads: 4}} {
		if h := mustHash(t, p, "pw"); !checkPassword(h, "pw") {
			t.Errorf("a hash made with %+v does not verify", p)
		}
	}
}

func TestCheckPassword_AMalformedHashNeverMatches(t *testing.T) {
	good := mustHash(t, cheapArgon, "pw")
	parts := strings.Split(good, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	for name, h := range map[string]string{
		"empty":                   "",
		"another algorithm":       with(1, "argon2i"),
		"bcrypt":                  "$2a$10$abcdefghijklmnopqrstuu5lYb/vuLCE8mD/PZzkwNa0/5pSbJ4dW",
		"a field missing":         strings.Join(parts[:5], "$"),
		"a field too many":        good + "$x",
		"parameters not numbers":  with(3, "m=a,t=1,p=1"),
		"salt not base64":         with(4, "!!!"),
		"key not base64":          with(5, "!!!"),
		"an empty key":            with(5, ""),
		"a key from another salt": with(4, base64.RawStdEncoding.EncodeToString([]byte("another salt 16b"))),
		"a key cut short":         with(5, parts[5][:20]),
	} {
		if checkPassword(h, "pw") {
			t.Errorf("%s: %q matches", name, h)
		}
	}
	if !checkPassword(good, "pw") {
		t.Fatal("the unchanged hash does not match")
	}
}

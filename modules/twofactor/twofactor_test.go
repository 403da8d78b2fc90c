package twofactor

import (
	"encoding/base32"
	"errors"
	"strings"
	"testing"
	"time"
)

// rfcSecret is RFC 6238's SHA-1 test key, the ASCII "12345678901234567890",
// in base32.
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// stepStart is the first instant of step k.
func stepStart(k int64) time.Time { return time.Unix(k*30, 0).UTC() }

func mustCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := Code(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// RFC 6238 Appendix B, SHA-1 column: the last 6 of the 8 digits.
var rfcVectors = []struct {
	unix int64
	want string
}{
	{59, "287082"},          // 94287082
	{1111111109, "081804"},  // 07081804
	{1111111111, "050471"},  // 14050471
	{1234567890, "005924"},  // 89005924
	{2000000000, "279037"},  // 69279037
	{20000000000, "353130"}, // 65353130
}

func TestCode_RFC6238Vectors(t *testing.T) {
	if got := base32.StdEncoding.EncodeToString([]byte("12345678901234567890")); got != rfcSecret {
		t.Fatalf("fixture: base32 of the RFC key is %s", got)
	}
	for _, v := range rfcVectors {
		at := time.Unix(v.unix, 0).UTC()
		t.Run(at.Format(time.RFC3339), func(t *testing.T) {
			if got := mustCode(t, rfcSecret, at); got != v.want {
				t.Fatalf("Code at %d = %s, want %s", v.unix, got, v.want)
			}
			// Verify agrees with the published vectors, not only with Code.
			step, ok := Verify(rfcSecret, v.want, at, 0)
			if !ok || step != v.unix/30 {
				t.Fatalf("Verify(%s) at %d = %d, %v; want step %d, true", v.want, v.unix, step, ok, v.unix/30)
			}
		})
	}
}

func TestCode_Secrets(t *testing.T) {
	at := time.Unix(1111111111, 0)
	key16 := base32.StdEncoding.EncodeToString([]byte("0123456789abcdef")) // padded: 26 chars + "======"
	key15 := base32.StdEncoding.EncodeToString([]byte("0123456789abcde"))
	tests := []struct {
		name   string
		secret string
		want   string // "" when the secret is refused
	}{
		{"upper case", rfcSecret, "050471"},
		{"lower case", strings.ToLower(rfcSecret), "050471"},
		{"16 bytes with padding", key16, mustCode(t, strings.TrimRight(key16, "="), at)},
		{"15 bytes", key15, ""},
		{"not base32", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Code(tt.secret, at)
			if tt.want == "" {
				if !errors.Is(err, ErrSecret) {
					t.Fatalf("Code = %q, %v; want ErrSecret", got, err)
				}
				if _, ok := Verify(tt.secret, "050471", at, 0); ok {
					t.Fatal("Verify accepted a code for a refused secret")
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Code = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestNewSecret(t *testing.T) {
	a, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("two secrets are equal: %s", a)
	}
	for _, s := range []string{a, b} {
		if len(s) != 32 || strings.ContainsAny(s, "=abcdefghijklmnopqrstuvwxyz") {
			t.Fatalf("secret %q: want 32 upper-case base32 characters, no padding", s)
		}
		key, err := base32.StdEncoding.DecodeString(s)
		if err != nil || len(key) != 20 {
			t.Fatalf("secret %q decodes to %d bytes, %v; want 20", s, len(key), err)
		}
		if _, err := Code(s, time.Now()); err != nil {
			t.Fatalf("Code refuses a new secret: %v", err)
		}
	}
}

// The window is the step of now and one step either side, measured at both
// edges of a step: its first second and the last second (and nanosecond)
// before it.
func TestVerify_Window(t *testing.T) {
	const k = 40_000_000 // a step in 2008
	edges := []struct {
		name string
		now  time.Time
		cur  int64 // the step now falls in
	}{
		{"first second of step k", stepStart(k), k},
		{"last second of step k-1", stepStart(k).Add(-time.Second), k - 1},
		{"last nanosecond of step k-1", stepStart(k).Add(-time.Nanosecond), k - 1},
		{"last nanosecond of step k", stepStart(k + 1).Add(-time.Nanosecond), k},
	}
	for _, e := range edges {
		codes := map[int64]string{}
		for d := int64(-2); d <= 2; d++ {
			codes[d] = mustCode(t, rfcSecret, stepStart(e.cur+d))
		}
		// A refused code that equals an accepted one would test nothing.
		for _, out := range []int64{-2, 2} {
			for _, in := range []int64{-1, 0, 1} {
				if codes[out] == codes[in] {
					t.Fatalf("fixture: steps %+d and %+d share code %s", out, in, codes[in])
				}
			}
		}
		for d := int64(-2); d <= 2; d++ {
			t.Run(e.name+"/code of step "+signed(d), func(t *testing.T) {
				step, ok := Verify(rfcSecret, codes[d], e.now, 0)
				wantOK := d >= -1 && d <= 1
				if ok != wantOK {
					t.Fatalf("Verify = %v, want %v", ok, wantOK)
				}
				if wantOK && step != e.cur+d {
					t.Fatalf("step = %d, want %d", step, e.cur+d)
				}
			})
		}
	}
}

func signed(d int64) string {
	return map[int64]string{-2: "-2", -1: "-1", 0: "0", 1: "+1", 2: "+2"}[d]
}

// A step is accepted once: the step returned must be above lastStep, for
// each of the three steps in the window.
func TestVerify_Replay(t *testing.T) {
	const cur = 40_000_000
	now := stepStart(cur).Add(10 * time.Second)
	for _, d := range []int64{-1, 0, 1} {
		step := int64(cur) + d
		code := mustCode(t, rfcSecret, stepStart(step))
		tests := []struct {
			lastStep int64
			ok       bool
		}{
			{0, true},
			{step - 1, true},
			{step, false},
			{step + 1, false},
		}
		for _, tt := range tests {
			got, ok := Verify(rfcSecret, code, now, tt.lastStep)
			if ok != tt.ok || (ok && got != step) {
				t.Errorf("code of step %s, lastStep = step%+d: Verify = %d, %v; want ok %v",
					signed(d), tt.lastStep-step, got, ok, tt.ok)
			}
		}
	}
	// The caller's loop: store the step, and the same code is refused at
	// once and for the rest of its window (until the end of the next step,
	// 50 s after now).
	code := mustCode(t, rfcSecret, now)
	last, ok := Verify(rfcSecret, code, now, 0)
	if !ok {
		t.Fatal("first use refused")
	}
	for _, later := range []time.Duration{0, 19 * time.Second, 49 * time.Second} {
		if _, ok := Verify(rfcSecret, code, now.Add(later), last); ok {
			t.Fatalf("replay %s later accepted", later)
		}
	}
}

// Steps 37079356 and 37079357 of the RFC key both have the code 186519.
// Verify returns the later one, so the code cannot be used again in the
// next step either.
func TestVerify_SharedCodeReturnsTheLaterStep(t *testing.T) {
	const a, b, code = 37079356, 37079357, "186519"
	if mustCode(t, rfcSecret, stepStart(a)) != code || mustCode(t, rfcSecret, stepStart(b)) != code {
		t.Fatal("fixture: the two steps no longer share a code")
	}
	step, ok := Verify(rfcSecret, code, stepStart(a), 0)
	if !ok || step != b {
		t.Fatalf("Verify = %d, %v; want %d, true", step, ok, b)
	}
	if _, ok := Verify(rfcSecret, code, stepStart(b), step); ok {
		t.Fatal("the shared code was accepted again in the next step")
	}
	// With the later step spent, the earlier one is not a way back in.
	if _, ok := Verify(rfcSecret, code, stepStart(a), b); ok {
		t.Fatal("the earlier step was accepted after the later one")
	}
}

func TestVerify_CodeFormat(t *testing.T) {
	now := stepStart(40_000_000).Add(7 * time.Second)
	code := mustCode(t, rfcSecret, now)
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"plain", code, true},
		{"surrounding spaces", "  " + code + " ", true},
		{"grouped as apps show it", code[:3] + " " + code[3:], true},
		{"tab and newline", "\t" + code + "\n", true},
		{"spaced out", strings.Join(strings.Split(code, ""), " "), true},
		{"empty", "", false},
		{"only spaces", "      ", false},
		{"5 digits", code[:5], false},
		{"7 digits, one appended", code + "0", false},
		{"7 digits, one prepended", "0" + code, false},
		{"letters", "abcdef", false},
		{"a letter for the last digit", code[:5] + "a", false},
		{"sign", "+" + code[1:], false},
		{"dash inside", code[:3] + "-" + code[3:], false},
		{"full-width digits", "１２３４５６", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := Verify(rfcSecret, tt.in, now, 0); ok != tt.ok {
				t.Fatalf("Verify(%q) = %v, want %v", tt.in, ok, tt.ok)
			}
			// Every refusal here is the format check's, not a mismatch.
			if _, ok := cleanCode(tt.in); ok != tt.ok {
				t.Fatalf("cleanCode(%q) = %v, want %v", tt.in, ok, tt.ok)
			}
		})
	}
}

// isDigits decides at the edges of '0'..'9': '/' and ':' are their
// neighbours in ASCII.
func TestIsDigits(t *testing.T) {
	tests := map[string]bool{
		"0123456789": true,
		"0":          true,
		"9":          true,
		"":           true,
		"/":          false,
		":":          false,
		"12/456":     false,
		"12345:":     false,
		"a":          false,
	}
	for in, want := range tests {
		if got := isDigits(in); got != want {
			t.Errorf("isDigits(%q) = %v, want %v", in, got, want)
		}
	}
}

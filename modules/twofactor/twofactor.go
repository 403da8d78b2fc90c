// Package twofactor holds the pure parts of two-factor login with time-based
// one-time passwords (TOTP, RFC 6238): secrets, codes and their check, the
// provisioning URI and its QR code, and recovery codes. It stores nothing and
// reads no clock: the auth module keeps a user's secret, last accepted step
// and recovery-code hashes in its own tables and passes them in, with the
// time, on every call.
//
// Data enters as a secret made by NewSecret (shown once to the user through
// URI and QRCodePNG), a code the user types and the current time; it leaves
// as the step to store after a successful Verify, and as recovery codes to
// show once plus the hashes to keep.
//
// Decisions:
//   - Codes are what every authenticator app computes by default: HMAC-SHA-1,
//     6 digits, a 30-second step counted from the Unix epoch. The URI names
//     all three anyway, so an app never has to guess.
//   - Secrets are 20 random bytes (the 160 bits RFC 4226 recommends) in
//     base32 without padding. Code and Verify also take lower case and
//     padding, and refuse a key shorter than the 128 bits RFC 4226 requires.
//   - The window: Verify accepts the code of the current step and of the
//     steps just before and after it, to allow for a phone's clock being up
//     to 30 seconds off and for the time it takes to type. A code is
//     therefore accepted from 30 s before its own 30 s step begins until 30 s
//     after it ends, 90 s in all, and never again: every step at or before
//     the last one accepted is refused, so a code seen over a shoulder or in
//     a log cannot be replayed, nor can an older one. The caller stores the
//     step Verify returns. When two steps of the window happen to share the
//     same code, the later step is returned, which refuses more afterwards.
//   - The typed code may carry spaces (apps show "123 456") and surrounding
//     white space; otherwise it must be exactly 6 ASCII digits. The
//     comparison with each expected code takes constant time, and all three
//     steps are computed whatever the answer.
//   - Recovery codes are ten codes of 10 characters from an alphabet without
//     look-alikes (no 0, o, 1, l, i), shown as "abcde-fghjk", about 49 bits
//     each. They are stored as SHA-256 hex: they are random, so a slow hash
//     adds nothing (as for API tokens in auth). Matching ignores case, spaces
//     and dashes, compares against every hash in constant time and returns
//     the index, so the caller can spend that code by deleting its hash.
//   - The provisioning URI percent-encodes the issuer and the account in the
//     label, the colon that would split them included, and spaces as %20
//     rather than "+", which some apps show as is.
//   - The QR code is drawn by github.com/skip2/go-qrcode: one pure Go package
//     with no dependencies of its own; the QR format it implements is fixed,
//     so its quiet upstream costs nothing here.
package twofactor

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The TOTP parameters: the defaults of RFC 6238 and of authenticator apps.
const (
	// Digits is the length of a code.
	Digits = 6
	// Algorithm is the HMAC hash, as the provisioning URI names it.
	Algorithm = "SHA1"

	periodSeconds = 30        // the step
	modulo        = 1_000_000 // 10^Digits
	secretBytes   = 20
	minKeyBytes   = 16 // RFC 4226, R6: at least 128 bits
)

// ErrSecret means a secret is not base32 or decodes to fewer than 16 bytes.
// NewSecret never makes such a secret: a stored one that fails is corrupt.
var ErrSecret = errors.New("twofactor: invalid secret: want base32 of at least 16 bytes")

var encoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns a new shared secret: 20 random bytes in base32 without
// padding (32 characters), to store for the user and show through URI.
func NewSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("twofactor: random secret: %w", err)
	}
	return encoding.EncodeToString(b), nil
}

// Code returns the 6-digit code for secret at time t.
func Code(secret string, t time.Time) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	return hotp(key, stepAt(t)), nil
}

// Verify reports whether code is the code of secret at now, or of the step
// just before or after it, and is newer than lastStep, the step returned by
// the previous successful Verify for this secret (0 when there was none).
// Spaces in code are ignored; otherwise it must be exactly 6 digits. On
// success it returns the step that matched: store it and pass it as
// lastStep next time. A secret that does not decode never verifies.
func Verify(secret, code string, now time.Time, lastStep int64) (step int64, ok bool) {
	code, wellFormed := cleanCode(code)
	if !wellFormed {
		return 0, false
	}
	key, err := decodeSecret(secret)
	if err != nil {
		return 0, false
	}
	cur := stepAt(now)
	for _, s := range [...]int64{cur - 1, cur, cur + 1} {
		match := subtle.ConstantTimeCompare([]byte(hotp(key, s)), []byte(code)) == 1
		if match && s > lastStep {
			step, ok = s, true
		}
	}
	return step, ok
}

// stepAt is the RFC 6238 counter at t: 30 s steps since the Unix epoch.
func stepAt(t time.Time) int64 { return t.Unix() / periodSeconds }

// hotp is the RFC 4226 code of key for counter, 6 digits with leading zeros.
func hotp(key []byte, counter int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	// Dynamic truncation: 31 bits read at the offset the last nibble names.
	offset := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[offset:offset+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", Digits, bin%modulo)
}

func decodeSecret(secret string) ([]byte, error) {
	key, err := encoding.DecodeString(strings.TrimRight(strings.ToUpper(secret), "="))
	if err != nil || len(key) < minKeyBytes {
		return nil, ErrSecret
	}
	return key, nil
}

// cleanCode removes the spaces a person may type around and inside a code,
// and reports whether what is left is exactly Digits ASCII digits. A code of
// another form could never equal an expected one; refusing it first keeps
// that from resting on the comparison alone.
func cleanCode(code string) (string, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	return code, len(code) == Digits && isDigits(code)
}

// isDigits reports whether s holds only ASCII digits.
func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

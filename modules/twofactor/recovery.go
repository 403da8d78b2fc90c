package twofactor

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
)

const (
	// RecoveryCodes is how many recovery codes NewRecoveryCodes makes.
	RecoveryCodes = 10
	// recoveryAlphabet leaves out 0, o, 1, l and i, which people misread.
	recoveryAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"
	recoveryLen      = 10 // characters, shown in two groups of five
)

// NewRecoveryCodes returns ten recovery codes to show the user once, like
// "abcde-fghjk", and the SHA-256 hex hash of each, in the same order, to
// store in their place.
func NewRecoveryCodes() (plain []string, hashes []string, err error) {
	size := big.NewInt(int64(len(recoveryAlphabet)))
	for range RecoveryCodes {
		b := make([]byte, recoveryLen)
		for i := range b {
			// rand.Int draws uniformly: no bias towards the first letters.
			n, err := rand.Int(rand.Reader, size)
			if err != nil {
				return nil, nil, fmt.Errorf("twofactor: random recovery code: %w", err)
			}
			b[i] = recoveryAlphabet[n.Int64()]
		}
		code := string(b)
		plain = append(plain, code[:recoveryLen/2]+"-"+code[recoveryLen/2:])
		hashes = append(hashes, hashRecovery(code))
	}
	return plain, hashes, nil
}

// MatchRecovery returns the index in hashes of the hash of code, or -1. Case,
// spaces and dashes in code do not matter. Every hash is compared, in
// constant time. To spend the code, the caller deletes the hash at the index
// (or blanks it: an empty hash never matches).
func MatchRecovery(hashes []string, code string) int {
	sum := []byte(hashRecovery(normalizeRecovery(code)))
	found := -1
	for i, h := range hashes {
		if subtle.ConstantTimeCompare([]byte(h), sum) == 1 {
			found = i
		}
	}
	return found
}

// normalizeRecovery turns what a person typed into the form that is hashed:
// lower case, without white space or dashes.
func normalizeRecovery(code string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '-':
			return -1
		}
		return r
	}, strings.ToLower(code))
}

func hashRecovery(normalized string) string {
	sum := sha256.Sum256([]byte(normalized))
	return hex.EncodeToString(sum[:])
}

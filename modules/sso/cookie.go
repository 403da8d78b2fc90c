package sso

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// loginCookie is the name of the cookie that carries a sign-in in progress.
const loginCookie = "betterstack_sso"

// loginTTL is how long a started sign-in may take.
const loginTTL = 10 * time.Minute

// minCookieKey is the shortest cookie key New accepts.
const minCookieKey = 32

// login is what Start remembers for Finish.
type login struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x,omitempty"`
	IssuedAt int64  `json:"t"` // unix seconds
}

// sealer encrypts and authenticates login cookies.
type sealer struct{ aead cipher.AEAD }

// newSealer derives a dedicated AES-256 key from cookieKey, so the same
// secret can serve other purposes (session signing) without the two uses
// ever sharing a key.
func newSealer(cookieKey []byte) (sealer, error) {
	if len(cookieKey) < minCookieKey {
		return sealer{}, fmt.Errorf("sso cookie key must be at least %d bytes, not %d", minCookieKey, len(cookieKey))
	}
	mac := hmac.New(sha256.New, cookieKey)
	mac.Write([]byte("betterstack sso login cookie v1"))
	block, err := aes.NewCipher(mac.Sum(nil))
	if err != nil {
		return sealer{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealer{}, err
	}
	return sealer{aead: aead}, nil
}

// seal returns the cookie value for l.
func (s sealer) seal(l login) (string, error) {
	plain, err := json.Marshal(l)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	// The cookie name is the associated data: a value sealed for another
	// purpose with the same key cannot be replayed here.
	out := s.aead.Seal(nonce, nonce, plain, []byte(loginCookie))
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// errUnsealable means the cookie was altered or sealed with another key.
var errUnsealable = errors.New("login cookie does not authenticate (altered, or sealed with another key)")

// open returns the login sealed in value.
func (s sealer) open(value string) (login, error) {
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < s.aead.NonceSize()+s.aead.Overhead() {
		return login{}, errUnsealable
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(loginCookie))
	if err != nil {
		return login{}, errUnsealable
	}
	var l login
	if err := json.Unmarshal(plain, &l); err != nil {
		return login{}, errUnsealable
	}
	return l, nil
}

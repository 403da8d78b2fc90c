package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argonParams are the argon2id cost settings; they are encoded into each
// hash, so raising them later keeps old hashes verifiable.
type argonParams struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// defaultArgon follows RFC 9106's second recommended option, scaled to a
// small server: 64 MiB, 1 pass, 2 lanes (about 40 ms on this machine).
var defaultArgon = argonParams{MemoryKiB: 64 * 1024, Time: 1, Threads: 2}

// hashSlots bounds how many argon2 computations run at once in this
// process. Each takes its hash's memory (64 MiB by default) for its whole
// run, and logins come from anyone: 60 at once took a server from 170 MB
// to 4 GB before this. More at once would not finish sooner on this many
// cores anyway; the rest wait their turn, so memory stays at most
// cap(hashSlots) hashes however many arrive.
var hashSlots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))

// argonKey is argon2.IDKey run in one of hashSlots.
func argonKey(password, salt []byte, p argonParams, keyLen uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey(password, salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
}

func hashPassword(p argonParams, password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argonKey([]byte(password), salt, p, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// checkPassword reports whether password matches the encoded hash. A
// malformed hash never matches.
func checkPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var p argonParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argonKey([]byte(password), salt, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

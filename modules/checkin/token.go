package checkin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"sync"
	"time"
)

// tokenFor derives a monitor's ping token: 24 URL-safe characters (144 bits).
func tokenFor(key []byte, monitorID int64, salt string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("ping-token:" + strconv.FormatInt(monitorID, 10) + ":" + salt))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// hashToken is what the database holds of a token.
func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// newSalt draws a fresh salt.
func newSalt() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// tokenCache maps token hashes to monitor ids for one api process. A
// monitor id of 0 remembers an unknown hash (briefly, so a flood of
// guesses does not reach the database). Unknown hashes are kept apart
// from known ones, each map starting over when full: a flood of made-up
// tokens used to fill the one map and, starting it over, drop the known
// tokens this process needs to accept pings while the database is down.
type tokenCache struct {
	mu         sync.RWMutex
	entries    map[string]cached // known tokens
	unknowns   map[string]cached // hashes the database did not know
	fresh      time.Duration     // positive entries are re-read after this
	unknown    time.Duration     // negative entries are forgotten after this
	max        int               // known entries kept; the map starts over beyond it
	maxUnknown int               // unknown entries kept, likewise
}

type cached struct {
	monitorID int64
	at        time.Time
}

func newTokenCache() *tokenCache {
	return &tokenCache{entries: map[string]cached{}, unknowns: map[string]cached{}, fresh: 30 * time.Second, unknown: 5 * time.Second,
		max: 200_000, maxUnknown: 50_000}
}

// get returns the entry for hash and whether it is fresh at now.
func (c *tokenCache) get(hash string, now time.Time) (cached, bool, bool) {
	c.mu.RLock()
	e, ok := c.entries[hash]
	if !ok {
		e, ok = c.unknowns[hash]
	}
	c.mu.RUnlock()
	if !ok {
		return cached{}, false, false
	}
	ttl := c.fresh
	if e.monitorID == 0 {
		ttl = c.unknown
	}
	return e, true, now.Sub(e.at) < ttl
}

func (c *tokenCache) put(hash string, monitorID int64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if monitorID == 0 {
		if len(c.unknowns) >= c.maxUnknown {
			c.unknowns = map[string]cached{}
		}
		c.unknowns[hash] = cached{at: now}
		return
	}
	delete(c.unknowns, hash)
	if len(c.entries) >= c.max {
		c.entries = map[string]cached{}
	}
	c.entries[hash] = cached{monitorID: monitorID, at: now}
}

func (c *tokenCache) forget(hash string) {
	c.mu.Lock()
	delete(c.entries, hash)
	delete(c.unknowns, hash)
	c.mu.Unlock()
}

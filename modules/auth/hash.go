package auth

// HashPassword hashes a password with argon2id for another module to store
// (status pages keep their visitors' password this way). memoryKiB above 0
// overrides the memory cost, as Config.PasswordMemoryKiB does (tests).
func HashPassword(password string, memoryKiB uint32) (string, error) {
	p := defaultArgon
	if memoryKiB > 0 {
		p.MemoryKiB = memoryKiB
	}
	return hashPassword(p, password)
}

// CheckPassword reports whether password matches a hash made by
// HashPassword. A malformed hash never matches.
func CheckPassword(encoded, password string) bool { return checkPassword(encoded, password) }

package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost settings.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultParams follow OWASP's argon2id minimum (19 MiB, two passes, one
// thread): about 50 ms a hash on this machine kind (measured), and small enough that a
// burst of sign-ins cannot exhaust a small server's memory.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

var errBadHash = errors.New("stored password hash is not an argon2id hash Herald wrote")

// HashPassword hashes a password with argon2id into the PHC string format:
// $argon2id$v=19$m=19456,t=2,p=1$SALT$HASH.
func HashPassword(password string, p Params) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return encodeHash(p, salt, argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)), nil
}

func encodeHash(p Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// unmatchableHash is a hash with p's cost that no password matches: a
// random salt and a random key, not the key of any password. Checking a
// password against it costs what checking one against a real hash of p
// costs, which is what a sign-in for a name that does not exist needs; and
// making it costs nothing (hashing a password to get one allocated p.Memory,
// 19 MiB by default, at every start).
func unmatchableHash(p Params) string {
	b := make([]byte, saltLen+keyLen)
	_, _ = rand.Read(b) // crypto/rand does not fail
	return encodeHash(p, b[:saltLen], b[saltLen:])
}

// CheckPassword reports whether password matches an encoded hash, comparing
// in constant time. The cost is read from the hash, so older hashes keep
// working when the defaults change.
func CheckPassword(encoded, password string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory == 0 || p.Memory > 1<<22 || p.Time == 0 || p.Time > 16 || p.Threads == 0 {
		return false, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return false, errBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

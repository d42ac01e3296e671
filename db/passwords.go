package db

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password rules: long enough to resist guessing, short enough that
// hashing one is not a way to make the server work hard.
const (
	MinPasswordLength = 12   // characters
	MaxPasswordLength = 1024 // bytes
)

// Argon2Params are argon2id's cost parameters. They are stored with each
// hash (the PHC string), so raising them later still verifies old hashes.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultArgon2 is OWASP's recommendation for argon2id (19 MiB, two
// passes, one thread): about 30 ms a hash on one core, enough to make
// guessing a leaked hash slow and cheap enough for a login.
var DefaultArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	argon2SaltLen = 16
	argon2KeyLen  = 32
)

// hashPassword hashes password with p into the PHC string form:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded base64).
func hashPassword(password string, p Argon2Params) (string, error) {
	salt := make([]byte, argon2SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, argon2KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// verifyPassword reports whether password matches the PHC string hash,
// with the parameters the hash names.
func verifyPassword(password, hash string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory == 0 || p.Time == 0 || p.Threads == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// decoyHashes hold, per set of parameters, the hash of a password nobody
// has: a sign-in for an account that does not exist is checked against it,
// so that it costs as long as a wrong password does and the time of the
// answer does not tell whether the account exists.
var decoyHashes sync.Map // Argon2Params -> string

func decoyHash(p Argon2Params) string {
	if h, ok := decoyHashes.Load(p); ok {
		return h.(string)
	}
	h, err := hashPassword(GeneratePassword(), p)
	if err != nil {
		panic(err) // crypto/rand does not fail on the systems Go supports
	}
	actual, _ := decoyHashes.LoadOrStore(p, h)
	return actual.(string)
}

// passwordAlphabet leaves out letters and digits that look alike (0/O,
// 1/l/I), as a generated password is read off a screen and typed.
const passwordAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// GeneratePassword returns a random password of 20 characters in four
// groups ("k7Qmx-Hr3Wd-..."): about 117 bits, readable off a screen.
func GeneratePassword() string {
	var b strings.Builder
	for i, r := range randomFrom(passwordAlphabet, 20) {
		if i > 0 && i%5 == 0 {
			b.WriteByte('-')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// randomFrom returns n characters picked uniformly from alphabet (ASCII).
func randomFrom(alphabet string, n int) string {
	out := make([]byte, n)
	buf := make([]byte, 1)
	limit := 256 - 256%len(alphabet) // refuse the bytes that would bias the pick
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			panic(err)
		}
		if int(buf[0]) < limit {
			out[i] = alphabet[int(buf[0])%len(alphabet)]
			i++
		}
	}
	return string(out)
}

//go:embed passwords/common.txt.gz
var commonPasswordsGz []byte

var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		panic(fmt.Sprintf("db: embedded common passwords: %v", err))
	}
	set := make(map[string]struct{}, 44000)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		set[sc.Text()] = struct{}{}
	}
	if err := sc.Err(); err != nil {
		panic(fmt.Sprintf("db: embedded common passwords: %v", err))
	}
	return set
})

// CheckPassword is the password rule, for every door a password comes
// through: at least MinPasswordLength characters, at most
// MaxPasswordLength bytes, not one of the most common passwords (see
// passwords/README.md), not made of a few characters repeated, and not the
// account's own e-mail address. Its errors carry the catalog's keys and
// the field "password".
func CheckPassword(password, email string) error {
	invalid := func(key, detail string) error {
		return &Error{Code: EINVALID, Key: key, Field: "password", Detail: detail}
	}
	if !utf8.ValidString(password) {
		return invalid("password.invalid", "the password is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(password); n < MinPasswordLength {
		return invalid("password.too_short", fmt.Sprintf("the password has %d characters; it needs at least %d", n, MinPasswordLength))
	}
	if len(password) > MaxPasswordLength {
		return invalid("password.too_long", fmt.Sprintf("the password is longer than %d bytes", MaxPasswordLength))
	}
	lower := strings.ToLower(password)
	distinct := map[rune]bool{}
	for _, r := range lower {
		distinct[r] = true
	}
	_, common := commonPasswords()[lower]
	if common || len(distinct) < 5 || strings.EqualFold(strings.TrimSpace(password), strings.TrimSpace(email)) {
		return invalid("password.common", "the password is too common or too easy to guess")
	}
	return nil
}

package signature

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
)

// GenerateSecret returns a new random secret for scheme, read from rnd
// (crypto/rand.Reader when nil):
//   - standard, svix: "whsec_" + base64(24 bytes)
//   - standard-v1a: "whsk_" + base64(32-byte ed25519 seed); give
//     PublicKey(secret) to verifiers that should not hold the secret key
//   - stripe: "whsec_" + hex(24 bytes) (Stripe uses the text as the key)
//   - every other scheme: hex(32 bytes)
func GenerateSecret(scheme string, rnd io.Reader) (string, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	n := 32
	switch scheme {
	case SchemeStandard, SchemeSvix, SchemeStripe:
		n = 24
	case SchemeStandardV1a:
		n = ed25519.SeedSize
	case SchemeGitHub, SchemeGitHubSHA1, SchemeShopify, SchemeSlack, SchemePaddle, SchemeZoom, SchemeTwitch, SchemeGeneric:
	default:
		return "", &ConfigError{Field: "scheme", Value: scheme, Err: ErrUnknownScheme}
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(rnd, b); err != nil {
		return "", fmt.Errorf("generate %s secret: read random bytes: %w", scheme, err)
	}
	switch scheme {
	case SchemeStandard, SchemeSvix:
		return WhsecPrefix + base64.StdEncoding.EncodeToString(b), nil
	case SchemeStandardV1a:
		return WhskPrefix + base64.StdEncoding.EncodeToString(b), nil
	case SchemeStripe:
		return WhsecPrefix + hex.EncodeToString(b), nil
	}
	return hex.EncodeToString(b), nil
}

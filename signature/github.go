package signature

import (
	"crypto/sha1" //nolint:gosec // GitHub's legacy scheme; results are reported as SigValidWeak
	"crypto/sha256"
)

// GitHub (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries):
// X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>; the legacy
// X-Hub-Signature: sha1=<hex HMAC-SHA1> is scheme "github-sha1" and a valid
// one is reported as trace.SigValidWeak. The secret is used as raw bytes.
// Only the body is signed: GitHub deliveries cannot resist replay.
// X-GitHub-Delivery carries the delivery id (kept on manual redelivery).

// GitHub header names.
const (
	HeaderGitHubSignature256 = "X-Hub-Signature-256"
	HeaderGitHubSignature    = "X-Hub-Signature"
	HeaderGitHubDelivery     = "X-GitHub-Delivery"
)

func githubSpec(cc *compiled, weak bool) *hmacSpec {
	s := &hmacSpec{
		newHash:   sha256.New,
		keys:      cc.keys,
		tol:       cc.tol,
		sigHeader: HeaderGitHubSignature256,
		idHeader:  HeaderGitHubDelivery,
		tmpl:      []segment{{kind: segBody}},
		verSep:    '=',
		version:   "sha256",
		enc:       encHex,
	}
	if weak {
		s.newHash, s.sigHeader, s.version, s.weak = sha1.New, HeaderGitHubSignature, "sha1", true
	}
	return s
}

package signature

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// Standard Webhooks v1 (https://www.standardwebhooks.com/, spec
// "Verifying webhook authenticity"): headers webhook-id, webhook-timestamp
// (unix seconds) and webhook-signature; the signed content is
// id + "." + timestamp + "." + raw body; the MAC is HMAC-SHA256, written
// "v1,<base64>"; several space-separated signatures may be present
// (rotation) and unknown versions ("v1a,…", "v2,…") are ignored. Svix uses
// the same scheme with svix-* header names.

// WhsecPrefix is the optional prefix of Standard Webhooks / Svix secrets.
const WhsecPrefix = "whsec_"

// Header names of Standard Webhooks and of Svix.
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
	HeaderSvixID           = "svix-id"
	HeaderSvixTimestamp    = "svix-timestamp"
	HeaderSvixSignature    = "svix-signature"
)

// decodeWhsec decodes a "whsec_" (optional) + base64 secret.
func decodeWhsec(s string) ([]byte, error) {
	raw := strings.TrimPrefix(s, WhsecPrefix)
	if raw == "" {
		return nil, errors.New("empty key after " + WhsecPrefix + " prefix")
	}
	k, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		if k, err2 := base64.RawStdEncoding.DecodeString(raw); err2 == nil {
			return k, nil
		}
		return nil, errors.New("key is not standard base64 (want [" + WhsecPrefix + "]<base64>)")
	}
	if len(k) == 0 {
		return nil, errors.New("empty key")
	}
	return k, nil
}

// standardTemplate is id "." timestamp "." body.
func standardTemplate() []segment {
	return []segment{{kind: segID}, {kind: segLit, lit: []byte(".")}, {kind: segTS}, {kind: segLit, lit: []byte(".")}, {kind: segBody}}
}

func standardSpec(cc *compiled, svix bool) *hmacSpec {
	id, ts, sig := HeaderWebhookID, HeaderWebhookTimestamp, HeaderWebhookSignature
	if svix {
		id, ts, sig = HeaderSvixID, HeaderSvixTimestamp, HeaderSvixSignature
	}
	return &hmacSpec{
		newHash:   sha256.New,
		keys:      cc.keys,
		tol:       cc.tol,
		sigHeader: sig,
		idHeader:  id,
		tsHeader:  ts,
		ts:        tsUnix,
		tmpl:      standardTemplate(),
		multi:     true,
		verSep:    ',',
		version:   "v1",
		enc:       encBase64,
		signAll:   true,
	}
}

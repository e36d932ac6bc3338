package signature

import "crypto/sha256"

// Stripe (https://docs.stripe.com/webhooks#verify-manually):
// Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…][,v0=<hex>]; the MAC is
// HMAC-SHA256 (hex) of t + "." + raw body with the endpoint secret used as
// raw UTF-8 bytes ("whsec_" included). Any v1 may match (rotation); v0 and
// other schemes are ignored; tolerance 300 s. Stripe's event id is in the
// body, there is no id header.

// HeaderStripeSignature is Stripe's signature header.
const HeaderStripeSignature = "Stripe-Signature"

func stripeSpec(cc *compiled) *kvSpec {
	return &kvSpec{
		newHash: sha256.New,
		keys:    cc.keys,
		tol:     cc.tol,
		header:  HeaderStripeSignature,
		sep:     ',',
		kvSep:   '=',
		tsKey:   "t",
		sigKey:  "v1",
		ts:      tsUnix,
		tmpl:    []segment{{kind: segTS}, {kind: segLit, lit: []byte(".")}, {kind: segBody}},
		enc:     encHex,
	}
}

package signature

import "crypto/sha256"

// Paddle Billing (https://developer.paddle.com/webhooks/signature-verification):
// Paddle-Signature: ts=<unix>;h1=<hex>[;h1=<hex>…]; the MAC is HMAC-SHA256
// (hex) of ts + ":" + raw body with the secret as raw bytes; several h1
// values appear during secret rotation. The Paddle SDKs allow 5 s of
// difference (DefaultPaddleTolerance).

// HeaderPaddleSignature is Paddle's signature header.
const HeaderPaddleSignature = "Paddle-Signature"

func paddleSpec(cc *compiled) *kvSpec {
	return &kvSpec{
		newHash: sha256.New,
		keys:    cc.keys,
		tol:     cc.tol,
		header:  HeaderPaddleSignature,
		sep:     ';',
		kvSep:   '=',
		tsKey:   "ts",
		sigKey:  "h1",
		ts:      tsUnix,
		tmpl:    []segment{{kind: segTS}, {kind: segLit, lit: []byte(":")}, {kind: segBody}},
		enc:     encHex,
	}
}

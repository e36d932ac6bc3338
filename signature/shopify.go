package signature

import "crypto/sha256"

// Shopify (https://shopify.dev/docs/apps/build/webhooks/subscribe/https):
// X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the raw body>, secret as
// raw bytes. X-Shopify-Webhook-Id carries the delivery id. Only the body is
// signed: no replay protection.

// Shopify header names.
const (
	HeaderShopifyHmac      = "X-Shopify-Hmac-Sha256"
	HeaderShopifyWebhookID = "X-Shopify-Webhook-Id"
)

func shopifySpec(cc *compiled) *hmacSpec {
	return &hmacSpec{
		newHash:   sha256.New,
		keys:      cc.keys,
		tol:       cc.tol,
		sigHeader: HeaderShopifyHmac,
		idHeader:  HeaderShopifyWebhookID,
		tmpl:      []segment{{kind: segBody}},
		enc:       encBase64,
	}
}

package signature

import (
	"fmt"
	"io"
	"time"

	"github.com/hookbench/hookbench/internal/doctable"
)

// SchemeInfo describes one scheme for people: what a request carries and
// what is signed. A test signs and verifies with every scheme to keep the
// header names, tolerances and rotation behaviour here true.
type SchemeInfo struct {
	Name            string
	SignatureHeader string // header carrying the signature(s)
	Value           string // the header value's shape
	IDHeader        string // header carrying the message id; empty: none
	TimestampHeader string // header carrying the timestamp; empty: none or in the signature header
	Timestamp       string // where the timestamp is and its unit; empty: not signed
	Signed          string // the signed bytes and the algorithm
	Secret          string // the secret's form
	// Tolerance is the default timestamp tolerance (0: no timestamp).
	Tolerance time.Duration
	// SignsWithEverySecret: a signer holding several secrets (rotation)
	// signs with each; otherwise with the first only.
	SignsWithEverySecret bool
}

// SchemeInfos returns a description of every scheme but generic (whose
// headers are configured), in Schemes() order.
func SchemeInfos() []SchemeInfo {
	std := func(name, prefix, alg string) SchemeInfo {
		return SchemeInfo{Name: name, SignatureHeader: prefix + "-signature", Value: "`v1,<base64>` …, space-separated",
			IDHeader: prefix + "-id", TimestampHeader: prefix + "-timestamp", Timestamp: "`" + prefix + "-timestamp` (unix s)",
			Signed: "`id.timestamp.body`, " + alg, Secret: "`whsec_` (optional) + base64", Tolerance: DefaultTolerance, SignsWithEverySecret: true}
	}
	v1a := std(SchemeStandardV1a, "webhook", "ed25519")
	v1a.Value = "`v1a,<base64>` …, space-separated"
	v1a.Secret = "signer: `whsk_…`; verifier: `whpk_…` (or `whsk_…`)"
	return []SchemeInfo{
		{Name: SchemeGitHub, SignatureHeader: "X-Hub-Signature-256", Value: "`sha256=<hex>`", IDHeader: "X-GitHub-Delivery",
			Signed: "body, HMAC-SHA256", Secret: "raw text"},
		{Name: SchemeGitHubSHA1, SignatureHeader: "X-Hub-Signature", Value: "`sha1=<hex>` (a valid one is `valid-weak`)", IDHeader: "X-GitHub-Delivery",
			Signed: "body, HMAC-SHA1", Secret: "raw text"},
		{Name: SchemePaddle, SignatureHeader: "Paddle-Signature", Value: "`ts=…;h1=<hex>[;h1=…]`", Timestamp: "`ts=` (unix s)",
			Signed: "`ts:body`, HMAC-SHA256", Secret: "raw text", Tolerance: DefaultPaddleTolerance, SignsWithEverySecret: true},
		{Name: SchemeShopify, SignatureHeader: "X-Shopify-Hmac-Sha256", Value: "`<base64>`", IDHeader: "X-Shopify-Webhook-Id",
			Signed: "body, HMAC-SHA256", Secret: "raw text"},
		{Name: SchemeSlack, SignatureHeader: "X-Slack-Signature", Value: "`v0=<hex>`", TimestampHeader: "X-Slack-Request-Timestamp",
			Timestamp: "`X-Slack-Request-Timestamp` (unix s)", Signed: "`v0:ts:body`, HMAC-SHA256", Secret: "raw text", Tolerance: DefaultTolerance},
		std(SchemeStandard, "webhook", "HMAC-SHA256"),
		v1a,
		{Name: SchemeStripe, SignatureHeader: "Stripe-Signature", Value: "`t=…,v1=<hex>[,v1=…]` (`v0` ignored)", Timestamp: "`t=` (unix s)",
			Signed: "`t.body`, HMAC-SHA256", Secret: "raw text (`whsec_` included)", Tolerance: DefaultTolerance, SignsWithEverySecret: true},
		std(SchemeSvix, "svix", "HMAC-SHA256"),
		{Name: SchemeTwitch, SignatureHeader: "Twitch-Eventsub-Message-Signature", Value: "`sha256=<hex>`", IDHeader: "Twitch-Eventsub-Message-Id",
			TimestampHeader: "Twitch-Eventsub-Message-Timestamp", Timestamp: "`Twitch-Eventsub-Message-Timestamp` (RFC 3339)",
			Signed: "`id+timestamp+body`, HMAC-SHA256", Secret: "raw text", Tolerance: DefaultTwitchTolerance},
		{Name: SchemeZoom, SignatureHeader: "x-zm-signature", Value: "`v0=<hex>`", IDHeader: "x-zm-trackingid", TimestampHeader: "x-zm-request-timestamp",
			Timestamp: "`x-zm-request-timestamp` (unix s)", Signed: "`v0:ts:body`, HMAC-SHA256", Secret: "raw text", Tolerance: DefaultTolerance},
	}
}

// WriteSchemeList writes the schemes as a table: aligned text ("text" or
// empty) or Markdown ("markdown", the table of docs/sink.md).
func WriteSchemeList(w io.Writer, format string) error {
	t := doctable.Table{Header: []string{"scheme", "signature header (value)", "id header", "timestamp", "signed bytes", "secret", "default tolerance", "signer signs with"}}
	md := format == doctable.Markdown
	for _, s := range SchemeInfos() {
		name, sig, id := s.Name, s.SignatureHeader+" ("+s.Value+")", s.IDHeader
		tol, ts := "—", s.Timestamp
		if s.Tolerance > 0 {
			tol = shortDur(s.Tolerance)
		}
		if ts == "" {
			ts = "—"
		}
		if id == "" {
			id = "—"
		}
		with := "first secret"
		if s.SignsWithEverySecret {
			with = "every secret"
		}
		if md {
			name = doctable.Code(name)
			sig = doctable.Code(s.SignatureHeader) + " (" + s.Value + ")"
			if s.IDHeader != "" {
				id = doctable.Code(id)
			}
		}
		t.Rows = append(t.Rows, []string{name, sig, id, ts, s.Signed, s.Secret, tol, with})
	}
	t.Rows = append(t.Rows, []string{nameCode(SchemeGeneric, md), "configurable", "configurable", "configurable (header or parameter; unix s, unix ms or RFC 3339)",
		"template", "raw text", shortDur(DefaultTolerance) + " (with a timestamp)", "parameter form: every secret; plain form: first secret"})
	return t.Write(w, format)
}

func nameCode(s string, md bool) string {
	if md {
		return doctable.Code(s)
	}
	return s
}

// shortDur prints 300s as "300 s" and 10m as "600 s".
func shortDur(d time.Duration) string { return fmt.Sprintf("%d s", int(d/time.Second)) }

package signature

import (
	"time"
)

// fixture is a valid configuration of each scheme, used by round-trip,
// failure, allocation and fuzz tests.
type fixture struct {
	cfg     Config
	sigHdr  string // header carrying the signature(s)
	tsHdr   string // header carrying the timestamp ("" when in sigHdr or none)
	idHdr   string // header carrying the id ("" when none)
	hasTS   bool
	valid   string // expected valid result name
	version string // a known-version signature starts with this
}

func fixtures() []fixture {
	return []fixture{
		{Config{Scheme: SchemeStandard, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}, HeaderWebhookSignature, HeaderWebhookTimestamp, HeaderWebhookID, true, "valid", "v1,"},
		{Config{Scheme: SchemeSvix, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}, HeaderSvixSignature, HeaderSvixTimestamp, HeaderSvixID, true, "valid", "v1,"},
		{Config{Scheme: SchemeStandardV1a, Secrets: []string{"whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk="}}, HeaderWebhookSignature, HeaderWebhookTimestamp, HeaderWebhookID, true, "valid", "v1a,"},
		{Config{Scheme: SchemeStripe, Secrets: []string{"whsec_test_secret"}}, HeaderStripeSignature, "", "", true, "valid", "v1="},
		{Config{Scheme: SchemeGitHub, Secrets: []string{"It's a Secret to Everybody"}}, HeaderGitHubSignature256, "", HeaderGitHubDelivery, false, "valid", "sha256="},
		{Config{Scheme: SchemeGitHubSHA1, Secrets: []string{"It's a Secret to Everybody"}}, HeaderGitHubSignature, "", HeaderGitHubDelivery, false, "valid-weak", "sha1="},
		{Config{Scheme: SchemeShopify, Secrets: []string{"test-webhook-secret"}}, HeaderShopifyHmac, "", HeaderShopifyWebhookID, false, "valid", ""},
		{Config{Scheme: SchemeSlack, Secrets: []string{"8f742231b10e8888abcd99yyyzzz85a5"}}, HeaderSlackSignature, HeaderSlackTimestamp, "", true, "valid", "v0="},
		{Config{Scheme: SchemePaddle, Secrets: []string{"VALID_SECRET"}}, HeaderPaddleSignature, "", "", true, "valid", "h1="},
		{Config{Scheme: SchemeZoom, Secrets: []string{"zoom-secret-token"}}, HeaderZoomSignature, HeaderZoomTimestamp, HeaderZoomTrackingID, true, "valid", "v0="},
		{Config{Scheme: SchemeTwitch, Secrets: []string{"twitch-secret-0123"}}, HeaderTwitchSignature, HeaderTwitchTimestamp, HeaderTwitchID, true, "valid", "sha256="},
		{Config{Scheme: SchemeGeneric, Secrets: []string{"generic-secret"}, Header: "X-Sig", Algorithm: "sha512", Encoding: "base64",
			Prefix: "v9=", Template: "{timestamp}|{id}|{body}", IDHeader: "X-Id", TimestampHeader: "X-Ts"}, "X-Sig", "X-Ts", "X-Id", true, "valid", "v9="},
		{Config{Scheme: SchemeGeneric, Secrets: []string{"generic-secret"}, Header: "X-Body-Sig"}, "X-Body-Sig", "", "", false, "valid", ""},
		// Stripe's shape under other names: the timestamp is a parameter
		// of the signature header, signed content "<t>,<body>".
		{Config{Scheme: SchemeGeneric, Secrets: []string{"generic-secret"}, Header: "X-Signature", TimestampParam: "t",
			SignatureParam: "v1", Template: "{timestamp},{body}"}, "X-Signature", "", "", true, "valid", "t="},
		{Config{Scheme: SchemeGeneric, Secrets: []string{"generic-secret"}, Header: "X-Sig-Ms", Encoding: "base64", Prefix: "s=",
			Template: "{timestamp}:{body}", TimestampHeader: "X-Ts-Ms", TimestampFormat: TimestampUnixMs}, "X-Sig-Ms", "X-Ts-Ms", "", true, "valid", "s="},
		{Config{Scheme: SchemeGeneric, Secrets: []string{"generic-secret"}, Header: "X-Sig-Params", SignatureParam: "sig", ParamSeparator: ";",
			KeySeparator: ":", Template: "{id}{timestamp}{body}", IDHeader: "X-Msg", TimestampHeader: "X-Time", TimestampFormat: TimestampRFC3339},
			"X-Sig-Params", "X-Time", "X-Msg", true, "valid", "sig:"},
	}
}

// fixtureNow is the arrival time used with fixtures; signing at fixtureNow
// is always within tolerance.
var fixtureNow = time.Unix(1700000000, 123456789)

func (f fixture) name() string {
	if f.cfg.Scheme == SchemeGeneric {
		return f.cfg.Scheme + "/" + f.cfg.Header
	}
	return f.cfg.Scheme
}

// signsID reports whether the fixture's signed content includes the id.
func (f fixture) signsID() bool {
	switch f.cfg.Scheme {
	case SchemeStandard, SchemeSvix, SchemeStandardV1a, SchemeTwitch:
		return true
	case SchemeGeneric:
		return containsID(f.cfg.Template)
	}
	return false
}

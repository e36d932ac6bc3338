package signature

import "crypto/sha256"

// Slack (https://api.slack.com/authentication/verifying-requests-from-slack):
// X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:" + timestamp + ":" + raw
// body>, X-Slack-Request-Timestamp: unix seconds; secret as raw bytes;
// tolerance 300 s. Slack sends no delivery-id header.

// Slack header names.
const (
	HeaderSlackSignature = "X-Slack-Signature"
	HeaderSlackTimestamp = "X-Slack-Request-Timestamp"
)

// v0Spec is the Slack/Zoom shape: "v0=<hex>" over "v0:" ts ":" body.
func v0Spec(cc *compiled, sigHeader, tsHeader, idHeader string) *hmacSpec {
	return &hmacSpec{
		newHash:   sha256.New,
		keys:      cc.keys,
		tol:       cc.tol,
		sigHeader: sigHeader,
		idHeader:  idHeader,
		tsHeader:  tsHeader,
		ts:        tsUnix,
		tmpl:      []segment{{kind: segLit, lit: []byte("v0:")}, {kind: segTS}, {kind: segLit, lit: []byte(":")}, {kind: segBody}},
		verSep:    '=',
		version:   "v0",
		enc:       encHex,
	}
}

func slackSpec(cc *compiled) *hmacSpec {
	return v0Spec(cc, HeaderSlackSignature, HeaderSlackTimestamp, "")
}

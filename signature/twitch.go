package signature

import "crypto/sha256"

// Twitch EventSub (https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#verifying-the-event-message):
// Twitch-Eventsub-Message-Signature: sha256=<hex HMAC-SHA256 of id +
// timestamp + raw body>, where id is Twitch-Eventsub-Message-Id and
// timestamp the Twitch-Eventsub-Message-Timestamp header text (RFC 3339,
// e.g. 2019-11-16T10:11:12.634234626Z). The secret is raw bytes. Twitch
// asks receivers to reject messages older than 10 minutes
// (DefaultTwitchTolerance).

// Twitch header names.
const (
	HeaderTwitchSignature = "Twitch-Eventsub-Message-Signature"
	HeaderTwitchID        = "Twitch-Eventsub-Message-Id"
	HeaderTwitchTimestamp = "Twitch-Eventsub-Message-Timestamp"
)

func twitchSpec(cc *compiled) *hmacSpec {
	return &hmacSpec{
		newHash:   sha256.New,
		keys:      cc.keys,
		tol:       cc.tol,
		sigHeader: HeaderTwitchSignature,
		idHeader:  HeaderTwitchID,
		tsHeader:  HeaderTwitchTimestamp,
		ts:        tsRFC3339,
		tmpl:      []segment{{kind: segID}, {kind: segTS}, {kind: segBody}},
		verSep:    '=',
		version:   "sha256",
		enc:       encHex,
	}
}

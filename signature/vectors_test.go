package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
)

const slackBody = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"

type vector struct {
	name string
	cfg  Config
	h    *testHeaders
	body string
	now  int64 // unix seconds
	want trace.SigResult
}

// referenceVectors are the providers' published signature examples, each
// checked by computing it, plus the same inputs under the other header names of the same scheme.
func referenceVectors() []vector {
	std := func(key, id, ts, sig string) *testHeaders {
		return hdrs("webhook-id", id, "webhook-timestamp", ts, "webhook-signature", sig)
	}
	return []vector{
		{"standard/1", Config{Scheme: "standard", Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}},
			std("", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
			`{"test": 2432232314}`, 1614265330, trace.SigValid},
		{"standard/1-no-prefix", Config{Scheme: "standard", Secrets: []string{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}},
			std("", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
			`{"test": 2432232314}`, 1614265330, trace.SigValid},
		{"standard/2", Config{Scheme: "standard", Secrets: []string{"whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"}},
			std("", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", "1649367553", "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="),
			`{"email":"test@example.com","username":"test_user"}`, 1649367553, trace.SigValid},
		{"standard/3", Config{Scheme: "standard", Secrets: []string{"whsec_plJ3nmyCDGBKInavdOK15jsl"}},
			std("", "msg_loFOjxBNrRLzqYUf", "1731705121", "v1,rAvfW3dJ/X/qxhsaXPOyyCGmRKsaKWcsNccKXlIktD0="),
			`{"event_type":"ping","data":{"success":true}}`, 1731705121, trace.SigValid},
		{"standard/negative", Config{Scheme: "standard", Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}},
			std("", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="),
			`{"test": 2432232314}`, 1614265330, trace.SigMismatch},
		{"standard/1-body-reserialised", Config{Scheme: "standard", Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}},
			std("", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
			`{"test":2432232314}`, 1614265330, trace.SigMismatch},
		{"svix/1", Config{Scheme: "svix", Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}},
			hdrs("svix-id", "msg_p5jXN8AQM9LWM0D4loKWxJek", "svix-timestamp", "1614265330", "svix-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
			`{"test": 2432232314}`, 1614265330, trace.SigValid},
		{"svix/webhook-names-are-missing", Config{Scheme: "svix", Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}},
			std("", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
			`{"test": 2432232314}`, 1614265330, trace.SigMissing},
		{"standard-v1a/public", Config{Scheme: "standard-v1a", Secrets: []string{"whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g="}},
			std("", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag=="),
			`{"test": 2432232314}`, 1614265330, trace.SigValid},
		{"standard-v1a/secret", Config{Scheme: "standard-v1a", Secrets: []string{"whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk="}},
			std("", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag=="),
			`{"test": 2432232314}`, 1614265330, trace.SigValid},
		{"standard-v1a/other-body", Config{Scheme: "standard-v1a", Secrets: []string{"whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g="}},
			std("", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag=="),
			`{"test": 2432232315}`, 1614265330, trace.SigMismatch},
		{"stripe", Config{Scheme: "stripe", Secrets: []string{"whsec_test_secret"}},
			hdrs("Stripe-Signature", "t=1614265330,v1=3c5817089d739023dd6190f70a3757e04f7a2fd8b5dab12c2e000f51970dccff"),
			`{"id":"evt_test_webhook","object":"event"}`, 1614265330, trace.SigValid},
		{"stripe/with-v0-and-second-v1", Config{Scheme: "stripe", Secrets: []string{"whsec_test_secret"}},
			hdrs("Stripe-Signature", "t=1614265330,v1=00ff,v1=3c5817089d739023dd6190f70a3757e04f7a2fd8b5dab12c2e000f51970dccff,v0=abcd"),
			`{"id":"evt_test_webhook","object":"event"}`, 1614265330, trace.SigValid},
		{"github/1", Config{Scheme: "github", Secrets: []string{"It's a Secret to Everybody"}},
			hdrs("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"),
			`Hello, World!`, 0, trace.SigValid},
		{"github/2", Config{Scheme: "github", Secrets: []string{"0123456789abcdef"}},
			hdrs("X-Hub-Signature-256", "sha256=b1f8020f5b4cd42042f807dd939015c4a418bc1ff7f604dd55b0a19b5d953d9b"),
			`{"yo":true}`, 0, trace.SigValid},
		{"github/2-upper-hex", Config{Scheme: "github", Secrets: []string{"0123456789abcdef"}},
			hdrs("X-Hub-Signature-256", "sha256=B1F8020F5B4CD42042F807DD939015C4A418BC1FF7F604DD55B0A19B5D953D9B"),
			`{"yo":true}`, 0, trace.SigValid},
		{"github-sha1/2", Config{Scheme: "github-sha1", Secrets: []string{"0123456789abcdef"}},
			hdrs("X-Hub-Signature", "sha1=126f2c800419c60137ce748d7672e77b65cf16d6"),
			`{"yo":true}`, 0, trace.SigValidWeak},
		{"github/sha1-only-is-missing", Config{Scheme: "github", Secrets: []string{"0123456789abcdef"}},
			hdrs("X-Hub-Signature", "sha1=126f2c800419c60137ce748d7672e77b65cf16d6"),
			`{"yo":true}`, 0, trace.SigMissing},
		{"shopify", Config{Scheme: "shopify", Secrets: []string{"test-webhook-secret"}},
			hdrs("X-Shopify-Hmac-Sha256", "QNyObTlKbMx2qDlPF/ZOZcBqg5OgPg+2oky3zldc0Gw="),
			`{"id":1234567890,"email":"customer@example.com","total_price":"123.45"}`, 0, trace.SigValid},
		{"paddle", Config{Scheme: "paddle", Secrets: []string{"VALID_SECRET"}},
			hdrs("Paddle-Signature", "ts=1698796800;h1=28981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261"),
			`{"data": "value"}`, 1698796800, trace.SigValid},
		{"paddle/6s-late", Config{Scheme: "paddle", Secrets: []string{"VALID_SECRET"}},
			hdrs("Paddle-Signature", "ts=1698796800;h1=28981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261"),
			`{"data": "value"}`, 1698796806, trace.SigStale},
		{"slack", Config{Scheme: "slack", Secrets: []string{"8f742231b10e8888abcd99yyyzzz85a5"}},
			hdrs("X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", "X-Slack-Request-Timestamp", "1531420618"),
			slackBody, 1531420618, trace.SigValid},
		// Zoom signs exactly like Slack; the Slack vector under Zoom's names.
		{"zoom/slack-vector", Config{Scheme: "zoom", Secrets: []string{"8f742231b10e8888abcd99yyyzzz85a5"}},
			hdrs("x-zm-signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", "x-zm-request-timestamp", "1531420618"),
			slackBody, 1531420618, trace.SigValid},
		// The generic scheme configured as Standard Webhooks accepts its vector
		// (the secret is the base64-decoded whsec_ key of standard/1).
		{"generic/as-standard", Config{Scheme: "generic", Secrets: []string{"\x31\xf2\x90\xf6\xbf\x06\x29\x8a\xab\x4f\x08\xd4\x3c\x3f\x08\x2c\xf6\x48\xa3\x62\xda\x2d\xa4\xb0"},
			Header: "webhook-signature", Encoding: "base64", Prefix: "v1,", Template: "{id}.{timestamp}.{body}", IDHeader: "webhook-id", TimestampHeader: "webhook-timestamp"},
			std("", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
			`{"test": 2432232314}`, 1614265330, trace.SigValid},
		// The generic scheme configured as GitHub sha1 accepts its vector.
		{"generic/as-github-sha1", Config{Scheme: "generic", Secrets: []string{"0123456789abcdef"}, Header: "X-Hub-Signature", Algorithm: "sha1", Prefix: "sha1="},
			hdrs("X-Hub-Signature", "sha1=126f2c800419c60137ce748d7672e77b65cf16d6"),
			`{"yo":true}`, 0, trace.SigValidWeak},
	}
}

func TestReferenceVectors(t *testing.T) {
	t.Parallel()
	for _, tc := range referenceVectors() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := mustVerifier(t, tc.cfg)
			got := v.Verify(tc.h, []byte(tc.body), time.Unix(tc.now, 0))
			if got.Result != tc.want {
				t.Fatalf("Verify = %v, want %v", got.Result, tc.want)
			}
		})
	}
}

// TestTwitchVector checks Twitch against an independently computed MAC.
func TestTwitchVector(t *testing.T) {
	t.Parallel()
	const secret, id, ts, body = "s3cre7", "e76c6bd4-55c9-4987-8304-da1588d8988b", "2019-11-16T10:11:12.634234626Z", `{"subscription":{"type":"channel.follow"}}`
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(id + ts + body))
	sig := "sha256=" + hex.EncodeToString(m.Sum(nil))
	v := mustVerifier(t, Config{Scheme: "twitch", Secrets: []string{secret}})
	h := hdrs(HeaderTwitchID, id, HeaderTwitchTimestamp, ts, HeaderTwitchSignature, sig)
	got := v.Verify(h, []byte(body), time.Date(2019, 11, 16, 10, 11, 30, 0, time.UTC))
	if got.Result != trace.SigValid || !got.HasTimestamp || got.Timestamp != time.Date(2019, 11, 16, 10, 11, 12, 0, time.UTC).Unix() {
		t.Fatalf("Verify = %+v", got)
	}
	// Same instant written with an offset is a different signed text.
	h.SetBytesV(HeaderTwitchTimestamp, []byte("2019-11-16T11:11:12.634234626+01:00"))
	if got := v.Verify(h, []byte(body), time.Date(2019, 11, 16, 10, 11, 30, 0, time.UTC)); got.Result != trace.SigMismatch ||
		got.Timestamp != time.Date(2019, 11, 16, 10, 11, 12, 0, time.UTC).Unix() {
		t.Fatalf("Verify(offset form) = %+v, want mismatch with the same timestamp", got)
	}
}

// TestSignerReproducesVectors: signers produce exactly the reference
// signatures.
func TestSignerReproducesVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg    Config
		id     string
		ts     int64
		body   string
		header string
		want   string
	}{
		{Config{Scheme: "standard", Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
			`{"test": 2432232314}`, "webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
		{Config{Scheme: "standard", Secrets: []string{"whsec_plJ3nmyCDGBKInavdOK15jsl"}}, "msg_loFOjxBNrRLzqYUf", 1731705121,
			`{"event_type":"ping","data":{"success":true}}`, "webhook-signature", "v1,rAvfW3dJ/X/qxhsaXPOyyCGmRKsaKWcsNccKXlIktD0="},
		{Config{Scheme: "svix", Secrets: []string{"whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"}}, "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553,
			`{"email":"test@example.com","username":"test_user"}`, "svix-signature", "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="},
		{Config{Scheme: "standard-v1a", Secrets: []string{"whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk="}}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
			`{"test": 2432232314}`, "webhook-signature", "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag=="},
		{Config{Scheme: "stripe", Secrets: []string{"whsec_test_secret"}}, "", 1614265330,
			`{"id":"evt_test_webhook","object":"event"}`, "Stripe-Signature", "t=1614265330,v1=3c5817089d739023dd6190f70a3757e04f7a2fd8b5dab12c2e000f51970dccff"},
		{Config{Scheme: "github", Secrets: []string{"It's a Secret to Everybody"}}, "d1", 0,
			`Hello, World!`, "X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
		{Config{Scheme: "github-sha1", Secrets: []string{"0123456789abcdef"}}, "d1", 0,
			`{"yo":true}`, "X-Hub-Signature", "sha1=126f2c800419c60137ce748d7672e77b65cf16d6"},
		{Config{Scheme: "shopify", Secrets: []string{"test-webhook-secret"}}, "w1", 0,
			`{"id":1234567890,"email":"customer@example.com","total_price":"123.45"}`, "X-Shopify-Hmac-Sha256", "QNyObTlKbMx2qDlPF/ZOZcBqg5OgPg+2oky3zldc0Gw="},
		{Config{Scheme: "paddle", Secrets: []string{"VALID_SECRET"}}, "", 1698796800,
			`{"data": "value"}`, "Paddle-Signature", "ts=1698796800;h1=28981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261"},
		{Config{Scheme: "slack", Secrets: []string{"8f742231b10e8888abcd99yyyzzz85a5"}}, "", 1531420618,
			slackBody, "X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"},
	}
	for _, tc := range tests {
		t.Run(tc.cfg.Scheme, func(t *testing.T) {
			t.Parallel()
			h := &testHeaders{}
			mustSigner(t, tc.cfg).Sign(h, tc.id, time.Unix(tc.ts, 0), []byte(tc.body))
			if got := h.get(tc.header); got != tc.want {
				t.Fatalf("%s = %q, want %q", tc.header, got, tc.want)
			}
		})
	}
}

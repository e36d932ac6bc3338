package signature

// Zoom (https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events):
// x-zm-signature: v0=<hex HMAC-SHA256 of "v0:" + timestamp + ":" + raw
// body>, x-zm-request-timestamp: unix seconds; the secret token as raw
// bytes. x-zm-trackingid identifies the delivery.

// Zoom header names.
const (
	HeaderZoomSignature  = "x-zm-signature"
	HeaderZoomTimestamp  = "x-zm-request-timestamp"
	HeaderZoomTrackingID = "x-zm-trackingid"
)

func zoomSpec(cc *compiled) *hmacSpec {
	return v0Spec(cc, HeaderZoomSignature, HeaderZoomTimestamp, HeaderZoomTrackingID)
}

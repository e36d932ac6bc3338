package signature

import (
	"crypto/sha1" //nolint:gosec // offered for legacy providers; results are SigValidWeak
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"strings"
)

// Generic HMAC, in two forms. Plain: Config.Header carries prefix +
// encoded MAC (several space-separated signatures accepted). Parameters
// (TimestampParam or SignatureParam set): Header is a list such as
// "t=<timestamp>,v1=<mac>,v1=<mac>" as Stripe writes it. Either way the
// MAC covers Config.Template with {id}, {timestamp} and {body} replaced by
// the raw id header value, the timestamp text as sent (header or
// parameter) and the raw body. Secrets are raw bytes.

// Defaults for the generic scheme.
const (
	DefaultGenericAlgorithm = "sha256"
	DefaultGenericEncoding  = "hex"
	DefaultGenericTemplate  = "{body}"
)

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// parseTemplate splits a template into literal and placeholder segments.
// A "{name}" with an unknown lower-case name is an error; other braces are
// literal text.
func parseTemplate(t string) ([]segment, error) {
	var segs []segment
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			segs = append(segs, segment{kind: segLit, lit: lit})
			lit = nil
		}
	}
	for i := 0; i < len(t); {
		if t[i] == '{' {
			if j := strings.IndexByte(t[i:], '}'); j > 0 {
				name := t[i+1 : i+j]
				kind, known := segBody, true
				switch name {
				case "id":
					kind = segID
				case "timestamp":
					kind = segTS
				case "body":
				default:
					known = false
				}
				if known {
					flush()
					segs = append(segs, segment{kind: kind})
					i += j + 1
					continue
				}
				if isPlaceholderName(name) {
					return nil, invalid("template", t, "unknown placeholder {%s} (want {id}, {timestamp}, {body})", name)
				}
			}
		}
		lit = append(lit, t[i])
		i++
	}
	flush()
	return segs, nil
}

func isPlaceholderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || c == '_') {
			return false
		}
	}
	return true
}

// Timestamp formats of the generic scheme (Config.TimestampFormat).
const (
	TimestampUnix    = "unix"
	TimestampUnixMs  = "unix-ms"
	TimestampRFC3339 = "rfc3339"
)

// DefaultGenericSignatureParam is the signature parameter's name in the
// parameter form when Config.SignatureParam is empty.
const DefaultGenericSignatureParam = "v1"

// separator validates a one-character separator option.
func separator(field, v string, def byte) (byte, error) {
	if v == "" {
		return def, nil
	}
	if len(v) != 1 || v[0] <= ' ' || v[0] >= 0x7f || isAlnum(v[0]) {
		return 0, invalid(field, v, "want one punctuation character such as , ; = :")
	}
	return v[0], nil
}

// base64Alphabet is every byte a standard base64 signature can hold.
const base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// validParam reports whether a parameter name can be found in a header
// split on sep and kvSep.
func validParam(name string, sep, kvSep byte) bool {
	return name != "" && !strings.ContainsAny(name, " \t\r\n"+string(sep)+string(kvSep))
}

func genericSpec(cc *compiled, c Config) (*hmacSpec, *kvSpec, error) {
	if !validHeaderName(c.Header) {
		return nil, nil, invalid("header", c.Header, "want an HTTP header name")
	}
	if c.IDHeader != "" && !validHeaderName(c.IDHeader) {
		return nil, nil, invalid("id_header", c.IDHeader, "want an HTTP header name")
	}
	if c.TimestampHeader != "" && !validHeaderName(c.TimestampHeader) {
		return nil, nil, invalid("timestamp_header", c.TimestampHeader, "want an HTTP header name")
	}
	var newHash func() hash.Hash
	weak := false
	switch alg := c.Algorithm; alg {
	case "sha1":
		newHash, weak = sha1.New, true
	case "", "sha256":
		newHash = sha256.New
	case "sha512":
		newHash = sha512.New
	default:
		return nil, nil, invalid("algorithm", alg, "want sha1, sha256 or sha512")
	}
	var enc encoding
	switch c.Encoding {
	case "", "hex":
		enc = encHex
	case "base64":
		enc = encBase64
	default:
		return nil, nil, invalid("encoding", c.Encoding, "want hex or base64")
	}
	tsf := tsNone
	switch c.TimestampFormat {
	case "", TimestampUnix:
		tsf = tsUnix
	case TimestampUnixMs:
		tsf = tsUnixMs
	case TimestampRFC3339:
		tsf = tsRFC3339
	default:
		return nil, nil, invalid("timestamp_format", c.TimestampFormat, "want unix, unix-ms or rfc3339")
	}
	params := c.TimestampParam != "" || c.SignatureParam != ""
	hasTS := c.TimestampHeader != "" || c.TimestampParam != ""
	if !hasTS {
		if c.TimestampFormat != "" {
			return nil, nil, invalid("timestamp_format", c.TimestampFormat, "needs timestamp_header or timestamp_param")
		}
		tsf = tsNone
	}
	t := c.Template
	if t == "" {
		t = DefaultGenericTemplate
		if c.TimestampParam != "" {
			t = "{timestamp}.{body}"
		}
	}
	segs, err := parseTemplate(t)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case !tmplNeeds(segs, segBody):
		return nil, nil, invalid("template", t, "must contain {body}")
	case tmplNeeds(segs, segID) && c.IDHeader == "":
		return nil, nil, invalid("template", t, "uses {id} but id_header is not set")
	case tmplNeeds(segs, segTS) && !hasTS:
		return nil, nil, invalid("template", t, "uses {timestamp} but neither timestamp_header nor timestamp_param is set")
	}
	if !params {
		for _, f := range [...]struct{ name, v string }{{"param_separator", c.ParamSeparator}, {"key_separator", c.KeySeparator}} {
			if f.v != "" {
				return nil, nil, invalid(f.name, f.v, "needs timestamp_param or signature_param (the parameter form)")
			}
		}
		if strings.ContainsAny(c.Prefix, " \t\r\n") {
			return nil, nil, invalid("prefix", c.Prefix, "must not contain white space (it separates signatures)")
		}
		return &hmacSpec{
			newHash: newHash, keys: cc.keys, tol: cc.tol, sigHeader: c.Header, idHeader: c.IDHeader,
			tsHeader: c.TimestampHeader, ts: tsf, tmpl: segs, multi: true, prefix: []byte(c.Prefix), enc: enc, weak: weak,
		}, nil, nil
	}
	if c.Prefix != "" {
		return nil, nil, invalid("prefix", c.Prefix, "not used with timestamp_param or signature_param (name the signature parameter instead)")
	}
	if c.TimestampParam != "" && c.TimestampHeader != "" {
		return nil, nil, invalid("timestamp_header", c.TimestampHeader, "the timestamp is already the %q parameter", c.TimestampParam)
	}
	sep, err := separator("param_separator", c.ParamSeparator, ',')
	if err != nil {
		return nil, nil, err
	}
	kvSep, err := separator("key_separator", c.KeySeparator, '=')
	if err != nil {
		return nil, nil, err
	}
	if sep == kvSep {
		return nil, nil, invalid("key_separator", c.KeySeparator, "must differ from param_separator")
	}
	// A separator that a value can contain would split it: a base64
	// signature holds + / =, an RFC 3339 timestamp - : + . and letters.
	values := "0123456789abcdefABCDEF"
	if enc == encBase64 {
		values = base64Alphabet
	}
	if c.TimestampParam != "" && tsf == tsRFC3339 {
		values += "-:+.TZtz"
	}
	if strings.ContainsRune(values, rune(sep)) {
		return nil, nil, invalid("param_separator", c.ParamSeparator, "can occur inside a parameter's value (%s)", values)
	}
	sigKey := c.SignatureParam
	if sigKey == "" {
		sigKey = DefaultGenericSignatureParam
	}
	if !validParam(sigKey, sep, kvSep) {
		return nil, nil, invalid("signature_param", sigKey, "want a name without white space or separators")
	}
	if c.TimestampParam != "" && (!validParam(c.TimestampParam, sep, kvSep) || c.TimestampParam == sigKey) {
		return nil, nil, invalid("timestamp_param", c.TimestampParam, "want a name without white space or separators, other than signature_param")
	}
	return nil, &kvSpec{
		newHash: newHash, keys: cc.keys, tol: cc.tol, header: c.Header, sep: sep, kvSep: kvSep,
		tsKey: c.TimestampParam, sigKey: sigKey, tsHeader: c.TimestampHeader, idHeader: c.IDHeader,
		ts: tsf, tmpl: segs, enc: enc, weak: weak,
	}, nil
}

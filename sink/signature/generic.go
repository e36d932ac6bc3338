package signature

import (
	"crypto/sha1" //nolint:gosec // offered for legacy providers; results are SigValidWeak
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"strings"
)

// Generic HMAC: Config.Header carries prefix + encoded MAC (several
// space-separated signatures accepted), the MAC covers Config.Template with
// {id}, {timestamp} and {body} replaced by the raw id header value, the raw
// timestamp header value and the raw body. Secrets are raw bytes.

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

func genericSpec(cc *compiled, c Config) (*hmacSpec, error) {
	s := &hmacSpec{
		keys:      cc.keys,
		tol:       cc.tol,
		sigHeader: c.Header,
		idHeader:  c.IDHeader,
		tsHeader:  c.TimestampHeader,
		multi:     true,
		prefix:    []byte(c.Prefix),
	}
	if !validHeaderName(c.Header) {
		return nil, invalid("header", c.Header, "want an HTTP header name")
	}
	if c.IDHeader != "" && !validHeaderName(c.IDHeader) {
		return nil, invalid("id_header", c.IDHeader, "want an HTTP header name")
	}
	if c.TimestampHeader != "" {
		if !validHeaderName(c.TimestampHeader) {
			return nil, invalid("timestamp_header", c.TimestampHeader, "want an HTTP header name")
		}
		s.ts = tsUnix
	}
	if strings.ContainsAny(c.Prefix, " \t\r\n") {
		return nil, invalid("prefix", c.Prefix, "must not contain white space (it separates signatures)")
	}
	var newHash func() hash.Hash
	switch alg := c.Algorithm; alg {
	case "sha1":
		newHash, s.weak = sha1.New, true
	case "", "sha256":
		newHash = sha256.New
	case "sha512":
		newHash = sha512.New
	default:
		return nil, invalid("algorithm", alg, "want sha1, sha256 or sha512")
	}
	s.newHash = newHash
	switch c.Encoding {
	case "", "hex":
		s.enc = encHex
	case "base64":
		s.enc = encBase64
	default:
		return nil, invalid("encoding", c.Encoding, "want hex or base64")
	}
	t := c.Template
	if t == "" {
		t = DefaultGenericTemplate
	}
	segs, err := parseTemplate(t)
	if err != nil {
		return nil, err
	}
	s.tmpl = segs
	if !s.needs(segBody) {
		return nil, invalid("template", t, "must contain {body}")
	}
	if s.needs(segID) && c.IDHeader == "" {
		return nil, invalid("template", t, "uses {id} but id_header is not set")
	}
	if s.needs(segTS) && c.TimestampHeader == "" {
		return nil, invalid("template", t, "uses {timestamp} but timestamp_header is not set")
	}
	return s, nil
}

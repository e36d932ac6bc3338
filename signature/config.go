package signature

import (
	"crypto/ed25519"
	"fmt"
	"strconv"
	"time"
)

// compiled is a validated Config with decoded keys.
type compiled struct {
	scheme string
	tol    time.Duration
	keys   [][]byte // HMAC keys (every scheme but standard-v1a)
	// standard-v1a: public keys for verifiers; private keys for signers
	// (nil when the secret was a public key).
	edPub  []ed25519.PublicKey
	edPriv []ed25519.PrivateKey
	// hmacSpec describes the header-based HMAC schemes; kvSpec the
	// parameter-list ones (stripe, paddle, generic with parameters).
	// Both are nil for standard-v1a.
	hmacSpec *hmacSpec
	kvSpec   *kvSpec
}

func invalid(field, value, format string, args ...any) *ConfigError {
	return &ConfigError{Field: field, Value: value, Err: fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)}
}

func badSecret(i int, format string, args ...any) *ConfigError {
	return &ConfigError{
		Field: "secrets[" + strconv.Itoa(i) + "]",
		Err:   fmt.Errorf("%w: "+format, append([]any{ErrInvalidSecret}, args...)...),
	}
}

func defaultTolerance(scheme string) time.Duration {
	switch scheme {
	case SchemePaddle:
		return DefaultPaddleTolerance
	case SchemeTwitch:
		return DefaultTwitchTolerance
	}
	return DefaultTolerance
}

// compile validates c and decodes its secrets.
func (c Config) compile() (*compiled, error) {
	cc := &compiled{scheme: c.Scheme}
	switch c.Scheme {
	case SchemeStandard, SchemeSvix, SchemeStandardV1a, SchemeStripe, SchemeGitHub, SchemeGitHubSHA1,
		SchemeShopify, SchemeSlack, SchemePaddle, SchemeZoom, SchemeTwitch, SchemeGeneric:
	case "":
		return nil, &ConfigError{Field: "scheme", Err: fmt.Errorf("%w: empty (want one of %v)", ErrUnknownScheme, Schemes())}
	default:
		return nil, &ConfigError{Field: "scheme", Value: c.Scheme, Err: fmt.Errorf("%w (want one of %v)", ErrUnknownScheme, Schemes())}
	}
	if c.Tolerance < 0 {
		return nil, invalid("tolerance", c.Tolerance.String(), "must not be negative")
	}
	if c.Scheme != SchemeGeneric {
		for _, f := range [...]struct{ name, v string }{
			{"header", c.Header}, {"algorithm", c.Algorithm}, {"encoding", c.Encoding}, {"prefix", c.Prefix},
			{"template", c.Template}, {"id_header", c.IDHeader}, {"timestamp_header", c.TimestampHeader},
			{"timestamp_format", c.TimestampFormat}, {"timestamp_param", c.TimestampParam}, {"signature_param", c.SignatureParam},
			{"param_separator", c.ParamSeparator}, {"key_separator", c.KeySeparator},
		} {
			if f.v != "" {
				return nil, invalid(f.name, f.v, "only valid for scheme %q, not %q", SchemeGeneric, c.Scheme)
			}
		}
	}
	if len(c.Secrets) == 0 {
		return nil, &ConfigError{Field: "secrets", Err: ErrNoSecret}
	}
	cc.tol = c.Tolerance
	if cc.tol == 0 {
		cc.tol = defaultTolerance(c.Scheme)
	}
	switch c.Scheme {
	case SchemeStandard, SchemeSvix:
		for i, s := range c.Secrets {
			k, err := decodeWhsec(s)
			if err != nil {
				return nil, badSecret(i, "%v", err)
			}
			cc.keys = append(cc.keys, k)
		}
	case SchemeStandardV1a:
		for i, s := range c.Secrets {
			pub, priv, err := decodeEd25519(s)
			if err != nil {
				return nil, badSecret(i, "%v", err)
			}
			cc.edPub = append(cc.edPub, pub)
			cc.edPriv = append(cc.edPriv, priv)
		}
	default:
		for i, s := range c.Secrets {
			if s == "" {
				return nil, badSecret(i, "empty")
			}
			cc.keys = append(cc.keys, []byte(s))
		}
	}
	switch c.Scheme {
	case SchemeStandard:
		cc.hmacSpec = standardSpec(cc, false)
	case SchemeSvix:
		cc.hmacSpec = standardSpec(cc, true)
	case SchemeGitHub:
		cc.hmacSpec = githubSpec(cc, false)
	case SchemeGitHubSHA1:
		cc.hmacSpec = githubSpec(cc, true)
	case SchemeShopify:
		cc.hmacSpec = shopifySpec(cc)
	case SchemeSlack:
		cc.hmacSpec = slackSpec(cc)
	case SchemeZoom:
		cc.hmacSpec = zoomSpec(cc)
	case SchemeTwitch:
		cc.hmacSpec = twitchSpec(cc)
	case SchemeStripe:
		cc.kvSpec = stripeSpec(cc)
	case SchemePaddle:
		cc.kvSpec = paddleSpec(cc)
	case SchemeGeneric:
		h, kv, err := genericSpec(cc, c)
		if err != nil {
			return nil, err
		}
		cc.hmacSpec, cc.kvSpec = h, kv
	}
	return cc, nil
}

package signature

import (
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// TestSchemeInfos keeps the documented scheme table true: every scheme but
// generic is described once, a signer sets exactly the documented headers,
// the documented tolerance is the verifier's default, and "signs with every
// secret" holds exactly when a verifier holding only the second of two
// rotated secrets accepts the signature.
func TestSchemeInfos(t *testing.T) {
	infos := map[string]SchemeInfo{}
	for _, s := range SchemeInfos() {
		if _, dup := infos[s.Name]; dup {
			t.Errorf("%s described twice", s.Name)
		}
		infos[s.Name] = s
	}
	for _, name := range Schemes() {
		_, ok := infos[name]
		if ok == (name == SchemeGeneric) {
			t.Errorf("%s: described %v, want a description for every scheme but generic", name, ok)
		}
	}
	body := []byte(`{"type":"order.created"}`)
	now := time.Unix(1_700_000_000, 0)
	for name, s := range infos {
		t.Run(name, func(t *testing.T) {
			s1, err := GenerateSecret(name, nil)
			if err != nil {
				t.Fatal(err)
			}
			s2, err := GenerateSecret(name, nil)
			if err != nil {
				t.Fatal(err)
			}
			signer, err := NewSigner(Config{Scheme: name, Secrets: []string{s1, s2}})
			if err != nil {
				t.Fatal(err)
			}
			h := hdrs()
			signer.Sign(h, "msg_1", now, body)
			want := map[string]bool{strings.ToLower(s.SignatureHeader): true}
			for _, x := range []string{s.IDHeader, s.TimestampHeader} {
				if x != "" {
					want[strings.ToLower(x)] = true
				}
			}
			for _, p := range h.kvs {
				if !want[strings.ToLower(p.k)] {
					t.Errorf("signer sets %s, not in the description", p.k)
				}
				delete(want, strings.ToLower(p.k))
			}
			for k := range want {
				t.Errorf("described header %s is not set by the signer", k)
			}
			if got := defaultTolerance(name); (s.Timestamp != "") && got != s.Tolerance {
				t.Errorf("tolerance %v described, verifier default %v", s.Tolerance, got)
			}
			second := s2
			if name == SchemeStandardV1a {
				if second, err = PublicKey(s2); err != nil {
					t.Fatal(err)
				}
			}
			v, err := NewVerifier(Config{Scheme: name, Secrets: []string{second}})
			if err != nil {
				t.Fatal(err)
			}
			res := v.Verify(h, body, now)
			if got := res.Result == trace.SigValid || res.Result == trace.SigValidWeak; got != s.SignsWithEverySecret {
				t.Errorf("second secret verifies: %v (%v), described SignsWithEverySecret %v", got, res.Result, s.SignsWithEverySecret)
			}
			if res.HasTimestamp != (s.Timestamp != "") {
				t.Errorf("verification has a timestamp: %v; described timestamp %q", res.HasTimestamp, s.Timestamp)
			}
			if (s.Tolerance > 0) != (s.Timestamp != "") {
				t.Errorf("tolerance %v with timestamp %q", s.Tolerance, s.Timestamp)
			}
		})
	}
}

package signature

import (
	"encoding/base64"
	"encoding/hex"
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
)

func TestParseRFC3339(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"2019-11-16T10:11:12.634234626Z", 1573899072, true},
		{"2019-11-16T10:11:12Z", 1573899072, true},
		{"2019-11-16t10:11:12z", 1573899072, true},
		{"2019-11-16T11:11:12+01:00", 1573899072, true},
		{"2019-11-16T09:41:12.5-00:30", 1573899072, true},
		{"1970-01-01T00:00:00Z", 0, true},
		{"2024-02-29T00:00:00Z", 1709164800, true},
		{"2023-02-29T00:00:00Z", 0, false},
		{"2019-11-16 10:11:12Z", 0, false},
		{"2019-11-16T10:11:12", 0, false},
		{"2019-11-16T10:11:12.Z", 0, false},
		{"2019-13-16T10:11:12Z", 0, false},
		{"2019-11-16T24:11:12Z", 0, false},
		{"2019-11-16T10:11:12+0100", 0, false},
		{"2019-11-16T10:11:12Zjunk", 0, false},
		{"1573899072", 0, false},
		{"", 0, false},
	} {
		got, ok := parseRFC3339([]byte(tc.in))
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("parseRFC3339(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseUnix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1614265330", 1614265330, true}, {"0", 0, true}, {"999999999999999999", 999999999999999999, true},
		{"9999999999999999999", 0, false}, {"-1", 0, false}, {"+1", 0, false}, {" 1", 0, false}, {"1.5", 0, false}, {"", 0, false},
	} {
		got, ok := parseUnix([]byte(tc.in))
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseUnix(%q) = %d, %v", tc.in, got, ok)
		}
	}
}

func TestDecodeSig(t *testing.T) {
	t.Parallel()
	sum := []byte("0123456789abcdef0123456789abcdef")
	for _, tc := range []struct {
		enc  encoding
		in   string
		want string // "" = malformed; "long" = well-formed but too long
	}{
		{encHex, hex.EncodeToString(sum), string(sum)},
		{encHex, "ABCDEF", "\xab\xcd\xef"},
		{encHex, "abc", ""},
		{encHex, "zz", ""},
		{encHex, "", ""},
		{encHex, hex.EncodeToString(make([]byte, 65)), "long"},
		{encBase64, base64.StdEncoding.EncodeToString(sum), string(sum)},
		{encBase64, base64.RawStdEncoding.EncodeToString(sum), string(sum)},
		{encBase64, "QQ==", "A"},
		{encBase64, "QQ", "A"},
		{encBase64, "Q===", ""},
		{encBase64, "Q", ""},
		{encBase64, "QQ=A", ""},
		{encBase64, "a-b_", ""},
		{encBase64, "====", ""},
		{encBase64, base64.StdEncoding.EncodeToString(make([]byte, 66)), "long"},
	} {
		var dst [maxDigest]byte
		n, ok := decodeSig(tc.enc, dst[:], []byte(tc.in))
		switch {
		case tc.want == "":
			if ok {
				t.Errorf("decode(%q) accepted", tc.in)
			}
		case tc.want == "long":
			if !ok || n != 0 {
				t.Errorf("decode(%q) = %d, %v; want 0, true", tc.in, n, ok)
			}
		default:
			if !ok || string(dst[:n]) != tc.want {
				t.Errorf("decode(%q) = %q, %v", tc.in, dst[:n], ok)
			}
		}
	}
}

func TestCheckTime(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 999999999)
	for _, tc := range []struct {
		ts   int64
		tol  time.Duration
		want trace.SigResult
	}{
		{1000, 0, trace.SigValid}, {999, 0, trace.SigStale}, {1001, 0, trace.SigFuture},
		{700, 300 * time.Second, trace.SigValid}, {699, 300 * time.Second, trace.SigStale},
		{1300, 300 * time.Second, trace.SigValid}, {1301, 300 * time.Second, trace.SigFuture},
		{0, 5 * time.Second, trace.SigStale}, {1 << 60, 5 * time.Second, trace.SigFuture},
	} {
		if got := checkTime(tc.ts, now, tc.tol); got != tc.want {
			t.Errorf("checkTime(%d, tol %v) = %v, want %v", tc.ts, tc.tol, got, tc.want)
		}
	}
}

func TestNextToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		sep  byte
		want []string
	}{
		{"a b  c ", ' ', []string{"a", "b", "c"}},
		{"t=1, v1=2 ,,v0=3", ',', []string{"t=1", "v1=2", "v0=3"}},
		{"   ", ' ', nil},
		{"", ';', nil},
		{"ts=1;h1=2", ';', []string{"ts=1", "h1=2"}},
	} {
		var got []string
		for tok, rest := nextToken([]byte(tc.in), tc.sep); tok != nil; tok, rest = nextToken(rest, tc.sep) {
			got = append(got, string(tok))
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%q: %q, want %q", tc.in, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
			}
		}
	}
}

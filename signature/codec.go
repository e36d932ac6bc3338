package signature

import (
	"encoding/base64"
	"encoding/hex"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// encoding of a signature's bytes in a header.
type encoding uint8

const (
	encHex encoding = iota
	encBase64
)

// maxDigest is the largest digest or signature handled (SHA-512, ed25519).
const maxDigest = 64

// decodeSig decodes src into dst without allocating. ok is false when src
// is not valid in enc (malformed). A well-formed value longer than dst
// yields n = 0, ok = true (it cannot match any digest).
func decodeSig(enc encoding, dst, src []byte) (n int, ok bool) {
	if enc == encHex {
		return decodeHex(dst, src)
	}
	return decodeBase64(dst, src)
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func decodeHex(dst, src []byte) (int, bool) {
	if len(src) == 0 || len(src)%2 != 0 {
		return 0, false
	}
	for _, c := range src {
		if _, ok := unhex(c); !ok {
			return 0, false
		}
	}
	if len(src)/2 > len(dst) {
		return 0, true
	}
	for i := 0; i < len(src); i += 2 {
		hi, _ := unhex(src[i])
		lo, _ := unhex(src[i+1])
		dst[i/2] = hi<<4 | lo
	}
	return len(src) / 2, true
}

func isB64(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/'
}

// decodeBase64 accepts the standard alphabet, padded or unpadded.
func decodeBase64(dst, src []byte) (int, bool) {
	if len(src) == 0 {
		return 0, false
	}
	data := src
	padded := false
	if len(src)%4 == 0 {
		for i := 0; i < 2 && len(data) > 0 && data[len(data)-1] == '='; i++ {
			data = data[:len(data)-1]
			padded = true
		}
	}
	if len(data)%4 == 1 || len(data) == 0 {
		return 0, false
	}
	for _, c := range data {
		if !isB64(c) {
			return 0, false
		}
	}
	n := len(data) * 6 / 8
	if n > len(dst) {
		return 0, true
	}
	enc := base64.RawStdEncoding
	in := data
	if padded {
		enc, in = base64.StdEncoding, src
	}
	m, err := enc.Decode(dst, in)
	if err != nil { // unreachable after the checks above; stay safe
		return 0, false
	}
	return m, true
}

func appendSig(dst []byte, enc encoding, sum []byte) []byte {
	if enc == encHex {
		return hex.AppendEncode(dst, sum)
	}
	return base64.StdEncoding.AppendEncode(dst, sum)
}

// parseUnix parses a non-negative decimal unix timestamp (at most 18
// digits, no sign, no spaces).
func parseUnix(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func digits(b []byte, i, n int) (int, bool) {
	if i+n > len(b) {
		return 0, false
	}
	v := 0
	for _, c := range b[i : i+n] {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// parseRFC3339 parses YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM) into unix
// seconds (fraction truncated) without allocating.
func parseRFC3339(b []byte) (int64, bool) {
	if len(b) < 20 {
		return 0, false
	}
	year, ok1 := digits(b, 0, 4)
	month, ok2 := digits(b, 5, 2)
	day, ok3 := digits(b, 8, 2)
	hour, ok4 := digits(b, 11, 2)
	minute, ok5 := digits(b, 14, 2)
	sec, ok6 := digits(b, 17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || b[4] != '-' || b[7] != '-' || b[13] != ':' || b[16] != ':' ||
		(b[10] != 'T' && b[10] != 't') {
		return 0, false
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return 0, false
	}
	i := 19
	if b[i] == '.' {
		i++
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return 0, false
		}
	}
	if i >= len(b) {
		return 0, false
	}
	offset := 0
	switch b[i] {
	case 'Z', 'z':
		i++
	case '+', '-':
		oh, ok1 := digits(b, i+1, 2)
		om, ok2 := digits(b, i+4, 2)
		if !ok1 || !ok2 || b[i+3] != ':' || oh > 23 || om > 59 {
			return 0, false
		}
		offset = oh*3600 + om*60
		if b[i] == '-' {
			offset = -offset
		}
		i += 6
	default:
		return 0, false
	}
	if i != len(b) {
		return 0, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day && sec != 60 { // e.g. February 30
		return 0, false
	}
	return t.Unix() - int64(offset), true
}

// parseTS parses a timestamp written in format f into unix seconds
// (milliseconds and fractions truncated).
func parseTS(f tsFormat, b []byte) (int64, bool) {
	switch f {
	case tsUnix:
		return parseUnix(b)
	case tsUnixMs:
		ms, ok := parseUnix(b)
		return ms / 1000, ok
	case tsRFC3339:
		return parseRFC3339(b)
	}
	return 0, false
}

// checkTime applies the tolerance in both directions.
func checkTime(ts int64, now time.Time, tol time.Duration) trace.SigResult {
	d := now.Unix() - ts // > 0: provider timestamp in the past
	t := int64(tol / time.Second)
	switch {
	case d > t:
		return trace.SigStale
	case -d > t:
		return trace.SigFuture
	}
	return trace.SigValid
}

// tokens iterates over sep-separated, non-empty tokens of s without
// allocating: for tok, rest := nextToken(s, ' '); tok != nil; ...
func nextToken(s []byte, sep byte) (tok, rest []byte) {
	for len(s) > 0 && (s[0] == sep || s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	if len(s) == 0 {
		return nil, nil
	}
	i := 0
	for i < len(s) && s[i] != sep {
		i++
	}
	tok, rest = s[:i], s[i:]
	for len(tok) > 0 && (tok[len(tok)-1] == ' ' || tok[len(tok)-1] == '\t') {
		tok = tok[:len(tok)-1]
	}
	return tok, rest
}

// outcome accumulates per-signature results into one verdict.
type outcome struct {
	valid, mismatch, malformed, unknown bool
}

// failure returns the verdict when no signature was valid: a well-formed
// signature of a known version that did not match wins over malformed
// ones, which win over unknown versions.
func (o outcome) failure() trace.SigResult {
	switch {
	case o.mismatch:
		return trace.SigMismatch
	case o.malformed:
		return trace.SigMalformed
	case o.unknown:
		return trace.SigNoKnownVer
	}
	return trace.SigMalformed // header without any signature token
}

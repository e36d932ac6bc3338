package provider

import (
	"bytes"
	"encoding/json"
)

// reencode returns body re-serialised the way careless code does it, for
// the faults that change bytes on the wire or under the signature:
//
//   - lossy: decoded into maps with float64 numbers and marshalled again:
//     keys sorted, compact, large integers rounded, <>& escaped.
//   - !lossy: numbers kept exactly, keys sorted, one-space indentation.
//
// The result always differs from body (a newline is appended when the
// re-encoding happens to be identical, or when body is not JSON), so a
// fault built on it is always visible. body is not modified.
func reencode(body []byte, lossy bool) []byte {
	var out []byte
	dec := json.NewDecoder(bytes.NewReader(body))
	if !lossy {
		dec.UseNumber()
	}
	var v any
	if err := dec.Decode(&v); err == nil {
		if lossy {
			out, err = json.Marshal(v)
		} else {
			out, err = json.MarshalIndent(v, "", " ")
		}
		if err != nil {
			out = nil
		}
	}
	if out == nil || bytes.Equal(out, body) {
		out = append(append(make([]byte, 0, len(body)+1), body...), '\n')
	}
	return out
}

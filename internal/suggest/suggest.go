// Package suggest finds the known name closest to a mistyped one, for "did
// you mean" hints in error messages.
package suggest

// MaxDistance is the largest edit distance at which a name is suggested:
// beyond it the names share too little for the hint to help.
const MaxDistance = 2

// Closest returns the candidate nearest to name in Levenshtein distance,
// if that distance is at most MaxDistance and below the length of name (a
// one-letter typo is not "close" to every one-letter name). Ties go to
// the earlier candidate. An exact match is not a suggestion.
func Closest(name string, candidates []string) (string, bool) {
	best, bestD := "", MaxDistance+1
	for _, c := range candidates {
		if c == name {
			return "", false
		}
		if d := distance(name, c, bestD); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || bestD >= len([]rune(name)) {
		return "", false
	}
	return best, true
}

// Hint returns ` (did you mean "X"?)` for the closest candidate, or "".
func Hint(name string, candidates []string) string {
	if c, ok := Closest(name, candidates); ok {
		return ` (did you mean "` + c + `"?)`
	}
	return ""
}

// distance is the Levenshtein distance between a and b in runes; it
// returns limit as soon as the distance is known to be at least limit.
func distance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return min(prev[len(rb)], limit)
}

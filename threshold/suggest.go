package threshold

// suggest returns the known name closest to name by edit distance, if
// within 2 (the first such in vocabulary order), else "".
func suggest(name string) string {
	best, bestD := "", 3
	for _, m := range vocabulary.list {
		if d := levenshtein(name, m.Name, bestD); d < bestD {
			best, bestD = m.Name, d
		}
	}
	return best
}

// levenshtein returns the edit distance of a and b (bytes), or any value
// >= bound once it is known to reach bound.
func levenshtein(a, b string, bound int) int {
	if d := len(a) - len(b); d >= bound || -d >= bound {
		return bound
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= bound {
			return bound
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

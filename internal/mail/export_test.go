package mail

import "time"

// SetRetries shortens q's pauses between attempts; tests only.
func SetRetries(q *Queue, d time.Duration) {
	for i := range q.retries {
		q.retries[i] = d
	}
}

package provider

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultRateLimitWait is how long Ferry waits after a rate-limited answer that does not
// say until when.
const DefaultRateLimitWait = time.Minute

// MaxRateLimitWait caps the wait a provider asks for, in case its clock or header is wrong.
const MaxRateLimitWait = 24 * time.Hour

// Limiter remembers, per credential and host, until when a provider's rate limit holds,
// so that no call is made before then. The zero value is ready to use; a nil *Limiter
// never blocks.
type Limiter struct {
	mu    sync.Mutex
	until map[string]time.Time // guarded by mu
}

// Blocked returns the time the limit for key lifts and true while it holds at now.
func (l *Limiter) Blocked(key string, now time.Time) (time.Time, bool) {
	if l == nil {
		return time.Time{}, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	until, ok := l.until[key]
	if ok && !now.Before(until) {
		delete(l.until, key)
		return time.Time{}, false
	}
	return until, ok
}

// Block holds the limit for key until the given time, or longer if it holds longer already.
func (l *Limiter) Block(key string, until time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.until == nil {
		l.until = map[string]time.Time{}
	}
	if until.After(l.until[key]) {
		l.until[key] = until
	}
}

// rateLimit reports whether resp is a rate-limited answer — 429, or 403 (GitHub) and 503
// with Retry-After or no requests remaining — and until when the limit holds.
func rateLimit(resp *http.Response, now time.Time) (time.Time, bool) {
	h := resp.Header
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
	case http.StatusForbidden, http.StatusServiceUnavailable:
		if h.Get("Retry-After") == "" && remaining(h) != "0" {
			return time.Time{}, false
		}
	default:
		return time.Time{}, false
	}
	if until, ok := retryAfter(h, now); ok {
		return until, true
	}
	if until, ok := resetTime(h, now); ok {
		return until, true
	}
	return now.Add(DefaultRateLimitWait), true
}

// exhausted reports whether a successful answer used the last request the limit allows,
// and when it resets.
func exhausted(h http.Header, now time.Time) (time.Time, bool) {
	if remaining(h) != "0" {
		return time.Time{}, false
	}
	return resetTime(h, now)
}

func remaining(h http.Header) string {
	for _, k := range []string{"X-RateLimit-Remaining", "RateLimit-Remaining"} {
		if v := h.Get(k); v != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// retryAfter reads Retry-After: seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Time, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		return capWait(now, now.Add(time.Duration(n)*time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return capWait(now, t), true
	}
	return time.Time{}, false
}

// resetTime reads X-RateLimit-Reset (GitHub, Gitea) or RateLimit-Reset (GitLab): Unix
// seconds, or — as the IETF draft has it — seconds from now when the number is small.
func resetTime(h http.Header, now time.Time) (time.Time, bool) {
	for _, k := range []string{"X-RateLimit-Reset", "RateLimit-Reset"} {
		v := strings.TrimSpace(h.Get(k))
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			continue
		}
		if n < 1e9 {
			return capWait(now, now.Add(time.Duration(n)*time.Second)), true
		}
		return capWait(now, time.Unix(n, 0)), true
	}
	return time.Time{}, false
}

// capWait keeps until between now + 1s and now + MaxRateLimitWait.
func capWait(now, until time.Time) time.Time {
	switch {
	case until.Before(now.Add(time.Second)):
		return now.Add(time.Second)
	case until.After(now.Add(MaxRateLimitWait)):
		return now.Add(MaxRateLimitWait)
	}
	return until
}

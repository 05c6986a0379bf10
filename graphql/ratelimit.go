package graphql

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// rateLimiter is a token bucket per client: burst tokens, one more every
// `every`. It forgets clients whose bucket is full again, so its memory is
// bounded by the clients active within burst × every.
type rateLimiter struct {
	burst float64
	every time.Duration
	now   func() time.Time
	mu    struct {
		sync.Mutex
		buckets map[string]*bucket
	}
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimiter(burst int, every time.Duration) *rateLimiter {
	l := &rateLimiter{burst: float64(burst), every: every, now: time.Now}
	l.mu.buckets = map[string]*bucket{}
	return l
}

// allow takes a token for client; when none is left it reports how long
// until one is.
func (l *rateLimiter) allow(client string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.mu.buckets) > 10_000 {
		l.pruneLocked(now)
	}
	b, ok := l.mu.buckets[client]
	if !ok {
		b = &bucket{tokens: l.burst, at: now}
		l.mu.buckets[client] = b
	}
	b.tokens = min(l.burst, b.tokens+float64(now.Sub(b.at))/float64(l.every))
	b.at = now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) * float64(l.every))
	}
	b.tokens--
	return true, 0
}

func (l *rateLimiter) pruneLocked(now time.Time) {
	for k, b := range l.mu.buckets {
		if b.tokens+float64(now.Sub(b.at))/float64(l.every) >= l.burst {
			delete(l.mu.buckets, k)
		}
	}
}

type clientKey struct{}

// clientOf names the client for rate limiting: the remote IP. Proxy
// headers are not trusted (anyone can set them).
func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func withClient(ctx context.Context, client string) context.Context {
	return context.WithValue(ctx, clientKey{}, client)
}

func clientFrom(ctx context.Context) string {
	c, _ := ctx.Value(clientKey{}).(string)
	return c
}

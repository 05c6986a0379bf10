package httpserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults for the zero values of Config's optional fields.
const (
	DefaultReadHeaderTimeout  = 5 * time.Second
	DefaultReadTimeout        = 30 * time.Second
	DefaultWriteTimeout       = 60 * time.Second
	DefaultIdleTimeout        = 120 * time.Second
	DefaultMaxScrapesInFlight = 4
)

// Config configures a Server.
type Config struct {
	// Addr is the host:port to listen on, as in --http 127.0.0.1:9090.
	// Port 0 picks a free port; Server.Addr reports it. Required.
	Addr string
	// Gatherer is what /metrics serves: the registry of a metrics.Metrics.
	// Required.
	Gatherer prometheus.Gatherer
	// Ready reports why receiptd cannot serve yet (nil when it can); /readyz
	// calls it on every request, from the request's goroutine, so it must be
	// quick and safe for concurrent use. Nil means always ready.
	Ready func() error
	// Logger receives the bound address and server errors. Nil discards.
	Logger *slog.Logger

	// ReadHeaderTimeout bounds reading a request's headers (slow clients
	// cannot hold connections open). Default DefaultReadHeaderTimeout.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request. Default DefaultReadTimeout.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing a response; a mounted handler that streams
	// for longer must extend its own deadline (http.ResponseController), as
	// WebSocket upgraders do. Default DefaultWriteTimeout.
	WriteTimeout time.Duration
	// IdleTimeout bounds how long a keep-alive connection waits for its next
	// request. Default DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxScrapesInFlight bounds concurrent /metrics requests; more get 503.
	// Default DefaultMaxScrapesInFlight.
	MaxScrapesInFlight int
}

// withDefaults returns c with every zero optional field set to its default.
func (c Config) withDefaults() Config {
	set := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	set(&c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	set(&c.ReadTimeout, DefaultReadTimeout)
	set(&c.WriteTimeout, DefaultWriteTimeout)
	set(&c.IdleTimeout, DefaultIdleTimeout)
	if c.MaxScrapesInFlight == 0 {
		c.MaxScrapesInFlight = DefaultMaxScrapesInFlight
	}
	if c.Ready == nil {
		c.Ready = func() error { return nil }
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("Addr is required (host:port)"))
	} else if _, port, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("Addr %q: %w", c.Addr, err))
	} else if port == "" {
		errs = append(errs, fmt.Errorf("addr %q has no port (use :0 for any free port)", c.Addr))
	}
	if c.Gatherer == nil {
		errs = append(errs, errors.New("a gatherer (the metrics registry) is required"))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"ReadHeaderTimeout", c.ReadHeaderTimeout}, {"ReadTimeout", c.ReadTimeout},
		{"WriteTimeout", c.WriteTimeout}, {"IdleTimeout", c.IdleTimeout}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s is negative: %v", d.name, d.v))
		}
	}
	if c.MaxScrapesInFlight < 0 {
		errs = append(errs, fmt.Errorf("MaxScrapesInFlight is negative: %d", c.MaxScrapesInFlight))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("httpserver: invalid config: %w", err)
	}
	return nil
}

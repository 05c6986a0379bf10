package audit

import (
	"fmt"
	"io"
	"time"
)

// progress writes a line on w at most every interval: the head height and
// the rates since the previous line.
type progress struct {
	w         io.Writer
	every     time.Duration
	now       func() time.Time
	last      time.Time
	lastCount int
	lastGas   uint64
}

func newProgress(w io.Writer, every time.Duration, now func() time.Time, start time.Time) *progress {
	return &progress{w: w, every: every, now: now, last: start}
}

// tick is called after every block with the head height and the running
// totals of executed blocks and gas.
func (p *progress) tick(height uint64, executed int, gas uint64) {
	if p.w == nil {
		return
	}
	now := p.now()
	span := now.Sub(p.last)
	if span < p.every || span <= 0 {
		return
	}
	secs := span.Seconds()
	fmt.Fprintf(p.w, "audit: height=%d blocks/s=%.1f Mgas/s=%.2f\n",
		height, float64(executed-p.lastCount)/secs, float64(gas-p.lastGas)/1e6/secs)
	p.last, p.lastCount, p.lastGas = now, executed, gas
}

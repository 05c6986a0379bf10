package metrics

import (
	"sync"
	"unicode/utf8"
)

// Label values that stand in for values a label does not accept.
const (
	labelOther   = "other"   // past a label's limit, or outside its fixed set
	labelUnknown = "unknown" // the empty string
	labelInvalid = "invalid" // not UTF-8, which Prometheus rejects
)

// Limits on the distinct values of the open-ended labels (see the package
// documentation for why each is safe).
const (
	maxDomains       = 256
	maxNames         = 32
	maxFields        = 64
	maxLabelValueLen = 64
)

// fixedLabel accepts the values it was built with and maps any other to
// "other".
type fixedLabel map[string]struct{}

func newFixedLabel(values ...string) fixedLabel {
	f := make(fixedLabel, len(values))
	for _, v := range values {
		f[v] = struct{}{}
	}
	return f
}

func (f fixedLabel) value(v string) string {
	if _, ok := f[v]; ok {
		return v
	}
	return labelOther
}

// cappedLabel accepts the first max distinct values it is given and maps any
// later new value to "other". It is safe for concurrent use.
type cappedLabel struct {
	max int
	mu  struct {
		sync.Mutex
		seen map[string]struct{}
	}
}

func newCappedLabel(max int) *cappedLabel {
	c := &cappedLabel{max: max}
	c.mu.seen = make(map[string]struct{})
	return c
}

// value returns the label value to record for v, and whether v was seen for
// the first time (so the caller may create its series at zero).
func (c *cappedLabel) value(v string) (string, bool) {
	v = sanitize(v)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.mu.seen[v]; ok {
		return v, false
	}
	if len(c.mu.seen) >= c.max {
		return labelOther, false
	}
	c.mu.seen[v] = struct{}{}
	return v, true
}

// sanitize makes v a label value Prometheus accepts and bounds its length.
func sanitize(v string) string {
	switch {
	case v == "":
		return labelUnknown
	case !utf8.ValidString(v):
		return labelInvalid
	case len(v) <= maxLabelValueLen:
		return v
	}
	cut := maxLabelValueLen
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return v[:cut]
}

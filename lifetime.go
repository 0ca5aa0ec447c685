package ferry

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Lifetime is an ISO-8601 duration such as P1Y, P3Y6M4DT12H30M5S, PT12H or P2W. One returned
// by ParseLifetime is positive and at most MaxLifetimeYears long.
type Lifetime struct {
	Years, Months, Weeks, Days, Hours, Minutes, Seconds int
}

// MaxLifetimeYears bounds a lifetime, measured as Approx measures it.
const MaxLifetimeYears = 1000

// Seconds in the average year and month of the Gregorian calendar (365.2425 and 30.436875 days).
const (
	secondsPerYear  = 31556952
	secondsPerMonth = 2629746
)

const lifetimeForms = "use forms such as P1Y, P6M, P2W, P30D, PT12H or P1Y2M3DT4H5M6S"

// ParseLifetime parses an ISO-8601 duration: 'P', then numbers with the designators Y, M, W
// and D in that order, then optionally 'T' and numbers with H, M and S. Numbers are whole,
// unsigned and at most 9 digits; weeks may be combined with the other units.
// Returns EINVALID for anything else, a zero lifetime, or one longer than MaxLifetimeYears.
func ParseLifetime(s string) (Lifetime, error) {
	if s == "" {
		return Lifetime{}, Errorf(EINVALID, "A lifetime is required, such as P1Y or PT12H.")
	}
	invalid := func(why string) (Lifetime, error) {
		return Lifetime{}, Errorf(EINVALID, "Lifetime %q is not an ISO-8601 duration: %s.", clip(s), why)
	}
	if strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return invalid("remove the spaces; " + lifetimeForms)
	}
	rest, ok := strings.CutPrefix(s, "P")
	if !ok {
		if s[0] == '-' {
			return invalid("a lifetime cannot be negative; " + lifetimeForms)
		}
		return invalid(lifetimeForms)
	}
	var l Lifetime
	dateFields := []*int{&l.Years, &l.Months, &l.Weeks, &l.Days}
	timeFields := []*int{&l.Hours, &l.Minutes, &l.Seconds}
	units, fields := "YMWD", dateFields
	inTime, components := false, 0
	for rest != "" {
		if rest[0] == 'T' && !inTime {
			inTime, units, fields = true, "HMS", timeFields
			if rest = rest[1:]; rest == "" {
				return invalid("T must be followed by hours, minutes or seconds, as in PT12H or P1DT6H")
			}
			continue
		}
		n := 0
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n < len(rest) && (rest[n] == '.' || rest[n] == ',') {
			return invalid("fractions are not supported; use whole numbers of a smaller unit, such as PT30M instead of PT0.5H")
		}
		if n == 0 {
			if rest[0] == '-' || rest[0] == '+' {
				return invalid("numbers cannot have a sign; " + lifetimeForms)
			}
			return invalid(lifetimeForms)
		}
		if n > 9 {
			return invalid("numbers have at most 9 digits")
		}
		if n == len(rest) {
			return invalid("every number needs a designator (Y, M, W, D, H, M or S); " + lifetimeForms)
		}
		v, _ := strconv.Atoi(rest[:n]) // at most 9 digits: cannot fail or overflow
		i := strings.IndexByte(units, rest[n])
		if i < 0 {
			if strings.IndexByte("YMWDHS", rest[n]) >= 0 {
				return invalid("write Y, M, W and D before T and H, M and S after it, each at most once and in that order, as in P1Y2M3DT4H5M6S")
			}
			return invalid(lifetimeForms)
		}
		*fields[i] = v
		units, fields = units[i+1:], fields[i+1:]
		rest = rest[n+1:]
		components++
	}
	if components == 0 {
		return invalid(lifetimeForms)
	}
	switch secs := l.seconds(); {
	case secs == 0:
		return Lifetime{}, Errorf(EINVALID, "Lifetime %q is zero: a lifetime must be positive, such as PT1H or P1D.", clip(s))
	case secs > MaxLifetimeYears*secondsPerYear:
		return Lifetime{}, Errorf(EINVALID, "Lifetime %q is too long: a lifetime is at most %d years (P%dY).", clip(s), MaxLifetimeYears, MaxLifetimeYears)
	}
	return l, nil
}

// String returns the canonical ISO-8601 form, leaving out zero components: "P1Y2M3DT4H5M6S",
// "P2W", "PT12H". The zero Lifetime is "PT0S".
func (l Lifetime) String() string {
	b := []byte{'P'}
	put := func(v int, unit byte) {
		if v != 0 {
			b = strconv.AppendInt(b, int64(v), 10)
			b = append(b, unit)
		}
	}
	put(l.Years, 'Y')
	put(l.Months, 'M')
	put(l.Weeks, 'W')
	put(l.Days, 'D')
	if l.Hours != 0 || l.Minutes != 0 || l.Seconds != 0 {
		b = append(b, 'T')
		put(l.Hours, 'H')
		put(l.Minutes, 'M')
		put(l.Seconds, 'S')
	}
	if len(b) == 1 {
		return "PT0S"
	}
	return string(b)
}

// AddTo returns t plus l: first the years, months and days (a week being 7 days) as
// t.AddDate adds them, in t's location, then the hours, minutes and seconds as elapsed time.
// Like AddDate it normalizes rather than clamps: P1M from 31 January is 2 or 3 March.
func (l Lifetime) AddTo(t time.Time) time.Time {
	t = t.AddDate(l.Years, l.Months, int(satAdd(int64(l.Days), satMul(int64(l.Weeks), 7))))
	clock := satAdd(satAdd(satMul(int64(l.Hours), 3600), satMul(int64(l.Minutes), 60)), int64(l.Seconds))
	// The clock part of a long lifetime can exceed time.Duration's ±292 years, so add seconds.
	return time.Unix(satAdd(t.Unix(), clock), int64(t.Nanosecond())).In(t.Location())
}

// Approx returns l as a time.Duration, with 365.2425-day years and 30.436875-day months, for
// comparing lifetimes against a cap. It saturates at the bounds of time.Duration (about 292
// years) instead of overflowing.
func (l Lifetime) Approx() time.Duration {
	secs := l.seconds()
	switch {
	case secs > math.MaxInt64/int64(time.Second):
		return math.MaxInt64
	case secs < math.MinInt64/int64(time.Second):
		return math.MinInt64
	}
	return time.Duration(secs) * time.Second
}

// seconds returns l in seconds as Approx measures it, saturating at the bounds of int64.
func (l Lifetime) seconds() int64 {
	parts := [...]struct{ v, unit int64 }{
		{int64(l.Years), secondsPerYear}, {int64(l.Months), secondsPerMonth},
		{int64(l.Weeks), 7 * 86400}, {int64(l.Days), 86400},
		{int64(l.Hours), 3600}, {int64(l.Minutes), 60}, {int64(l.Seconds), 1},
	}
	var sum int64
	for _, p := range parts {
		sum = satAdd(sum, satMul(p.v, p.unit))
	}
	return sum
}

// satMul returns a*b for b > 0, saturating at the bounds of int64.
func satMul(a, b int64) int64 {
	switch {
	case a > math.MaxInt64/b:
		return math.MaxInt64
	case a < math.MinInt64/b:
		return math.MinInt64
	}
	return a * b
}

// satAdd returns a+b, saturating at the bounds of int64.
func satAdd(a, b int64) int64 {
	switch {
	case b > 0 && a > math.MaxInt64-b:
		return math.MaxInt64
	case b < 0 && a < math.MinInt64-b:
		return math.MinInt64
	}
	return a + b
}

package ferry

// Page limits: a list returns DefaultPageLimit items unless asked for more, and never more
// than MaxPageLimit.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
)

// Page selects one page of a list: at most Limit items after the position Cursor names. The
// cursor is opaque to clients: they pass back the "next" value of the previous page.
type Page struct {
	Limit  int
	Cursor string
}

// Normalize returns p with its limit defaulted and capped.
func (p Page) Normalize() Page {
	if p.Limit <= 0 {
		p.Limit = DefaultPageLimit
	}
	if p.Limit > MaxPageLimit {
		p.Limit = MaxPageLimit
	}
	return p
}

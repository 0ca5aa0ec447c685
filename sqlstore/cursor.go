package sqlstore

import (
	"encoding/base64"
	"strconv"

	"github.com/ferrygit/ferry"
)

// encodeCursor wraps a position in a list so clients treat it as opaque.
func encodeCursor(pos string) string { return base64.RawURLEncoding.EncodeToString([]byte(pos)) }

// decodeCursor returns the position a cursor names; "" for the start of the list.
func decodeCursor(cursor string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return "", ferry.Errorf(ferry.EINVALID, "Cursor %q is malformed; pass back the \"next\" value of the previous page.", cursor)
	}
	return string(b), nil
}

// decodeNumberCursor returns the number a cursor names, or 0 for the start of the list.
func decodeNumberCursor(cursor string) (int64, error) {
	pos, err := decodeCursor(cursor)
	if err != nil || pos == "" {
		return 0, err
	}
	n, err := strconv.ParseInt(pos, 10, 64)
	if err != nil || n < 0 {
		return 0, ferry.Errorf(ferry.EINVALID, "Cursor %q is malformed; pass back the \"next\" value of the previous page.", cursor)
	}
	return n, nil
}

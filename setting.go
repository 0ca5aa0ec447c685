package ferry

import (
	"context"
	"strconv"
)

// SettingAdminTokenHash names the setting that holds the SHA-256 of the generated admin token.
const SettingAdminTokenHash = "admin_token_sha256"

// SettingService keeps small server-wide values.
type SettingService interface {
	// Setting returns the value of key. Returns ENOTFOUND if it is not set.
	Setting(ctx context.Context, key string) (string, error)

	// InitSetting sets key to value unless it is set already, and reports whether it did.
	InitSetting(ctx context.Context, key, value string) (bool, error)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

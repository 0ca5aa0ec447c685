package secretbox

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ferrygit/ferry"
)

// KeyFileName is the name of the key file generated in the data directory.
const KeyFileName = "secret.key"

// SettingKeyCheck names the setting that holds a known value sealed with the master key,
// by which CheckKey tells a wrong key at start.
const SettingKeyCheck = "secret_key_check"

// checkValue is the plaintext of the SettingKeyCheck value.
const checkValue = "ferry secret key check, format 1"

// KeySource says where the master key comes from: Value if set, else File if set, else a
// key file in DataDir, generated on first start.
type KeySource struct {
	Value   string // the key itself, base64 or hex (FERRY_SECRET_KEY)
	File    string // a file holding the key (--secret-key-file, FERRY_SECRET_KEY_FILE)
	DataDir string // where KeyFileName is kept when neither is set
}

// Key is a loaded master key.
type Key struct {
	Bytes     []byte
	Origin    string   // where it came from, for the log: never the key itself
	Generated bool     // a new key file was written
	Warnings  []string // things the operator should fix, such as a file others can read
}

// LoadKey returns the master key src names. A key file that LoadKey generates has mode
// 0600; an existing generated one that group or others may read is refused, and an
// operator's --secret-key-file in that state gets a warning. Errors never show the key.
func LoadKey(src KeySource) (*Key, error) {
	switch {
	case src.Value != "" && src.File != "":
		return nil, errors.New("both FERRY_SECRET_KEY and a secret key file are set; set only one")
	case src.Value != "":
		b, err := ParseKey(src.Value)
		if err != nil {
			return nil, fmt.Errorf("FERRY_SECRET_KEY: %w", err)
		}
		return &Key{Bytes: b, Origin: "FERRY_SECRET_KEY"}, nil
	case src.File != "":
		return readKeyFile(src.File, false)
	case src.DataDir == "":
		return nil, errors.New("no secret key: set FERRY_SECRET_KEY or --secret-key-file, or give a data directory to keep a generated key in")
	}
	path := filepath.Join(src.DataDir, KeyFileName)
	if err := os.MkdirAll(src.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory for the secret key: %w", err)
	}
	key, err := writeNewKeyFile(path)
	if errors.Is(err, fs.ErrExist) {
		return readKeyFile(path, true)
	}
	return key, err
}

// writeNewKeyFile writes a new random key to path, which must not exist yet.
func writeNewKeyFile(path string) (*Key, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		return nil, fmt.Errorf("create secret key file: %w", err)
	}
	key, err := NewKey()
	if err == nil {
		_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("write secret key file %s: %w", path, err)
	}
	return &Key{Bytes: key, Origin: "generated file " + path, Generated: true}, nil
}

// readKeyFile reads a key file. A generated one must be private to its owner.
func readKeyFile(path string, generated bool) (*Key, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("secret key file %s is not a regular file", path)
	}
	k := &Key{Origin: "file " + path}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		msg := fmt.Sprintf("secret key file %s has mode %04o: group or others may read it; run 'chmod 600 %s'", path, perm, path)
		if generated {
			return nil, errors.New("refusing to start: " + msg)
		}
		k.Warnings = append(k.Warnings, msg)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read secret key file: %w", err)
	}
	if k.Bytes, err = ParseKey(string(b)); err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	return k, nil
}

// CheckKey makes sure b holds the key the database's secrets are sealed with. On a new
// database it stores a known value sealed with b's key; later it opens that value, and
// returns an error wrapping ErrWrongKey, with what to do, if it does not open.
func CheckKey(ctx context.Context, settings ferry.SettingService, b *Box) error {
	aad := []byte("setting/" + SettingKeyCheck)
	sealed, err := b.Seal([]byte(checkValue), aad)
	if err != nil {
		return err
	}
	created, err := settings.InitSetting(ctx, SettingKeyCheck, base64.StdEncoding.EncodeToString(sealed))
	if err != nil || created {
		return err
	}
	stored, err := settings.Setting(ctx, SettingKeyCheck)
	if err != nil {
		return err
	}
	raw, err := base64.StdEncoding.DecodeString(stored)
	if err != nil {
		return fmt.Errorf("the stored secret key check (setting %s) is corrupt", SettingKeyCheck)
	}
	plain, err := b.Open(raw, aad)
	if err != nil || string(plain) != checkValue {
		return fmt.Errorf("%w: this is not the secret key the database's credentials were encrypted with. "+
			"Start Ferry with the original key (FERRY_SECRET_KEY, --secret-key-file, or the %s generated in the data directory on first start); "+
			"every server sharing a PostgreSQL database needs the same key", ErrWrongKey, KeyFileName)
	}
	return nil
}

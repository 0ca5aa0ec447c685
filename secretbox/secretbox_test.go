package secretbox_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/secretbox"
)

func newBox(t *testing.T, key []byte) *secretbox.Box {
	t.Helper()
	b, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	b := newBox(t, key)
	plain := []byte("a token: ghp_0123456789")
	s1, err := b.Seal(plain, []byte("credential/deploy"))
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := b.Seal(plain, []byte("credential/deploy"))
	if bytes.Equal(s1, s2) {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	if bytes.Contains(s1, plain) || s1[0] != 1 || s1[1] != secretbox.DefaultKeyID {
		t.Errorf("sealed value % x", s1[:2])
	}
	got, err := b.Open(s1, []byte("credential/deploy"))
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open = %q, %v", got, err)
	}

	other := newBox(t, bytes.Repeat([]byte{8}, 32))
	altered := append([]byte{}, s1...)
	altered[len(altered)-1] ^= 1
	for name, open := range map[string]func() ([]byte, error){
		"another key":     func() ([]byte, error) { return other.Open(s1, []byte("credential/deploy")) },
		"another context": func() ([]byte, error) { return b.Open(s1, []byte("credential/other")) },
		"altered":         func() ([]byte, error) { return b.Open(altered, []byte("credential/deploy")) },
		"another key id": func() ([]byte, error) {
			v := append([]byte{}, s1...)
			v[1] = 9
			return b.Open(v, []byte("credential/deploy"))
		},
	} {
		if p, err := open(); !errors.Is(err, secretbox.ErrWrongKey) || p != nil {
			t.Errorf("%s: open = %q, %v; want ErrWrongKey", name, p, err)
		}
	}
	if _, err := b.Open([]byte{1, 1, 2}, nil); err == nil {
		t.Error("a short value opened")
	}
	if _, err := secretbox.New(make([]byte, 16)); err == nil {
		t.Error("a 16-byte key was accepted")
	}
}

func TestParseKey(t *testing.T) {
	key := bytes.Repeat([]byte{0xfb}, 32)
	for _, s := range []string{
		base64.StdEncoding.EncodeToString(key), base64.RawStdEncoding.EncodeToString(key),
		base64.URLEncoding.EncodeToString(key), hex.EncodeToString(key), " " + hex.EncodeToString(key) + "\n",
	} {
		got, err := secretbox.ParseKey(s)
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("ParseKey(%q) = %x, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "short", base64.StdEncoding.EncodeToString(key[:16]), "not-a-key-!!!-secretvalue"} {
		_, err := secretbox.ParseKey(s)
		if err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		} else if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error echoes the value: %v", err)
		}
	}
}

func TestLoadKeyGeneratesPrivateFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k, err := secretbox.LoadKey(secretbox.KeySource{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, secretbox.KeyFileName)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 || !k.Generated || len(k.Bytes) != 32 || !strings.Contains(k.Origin, path) {
		t.Fatalf("generated key: mode %04o, %+v", perm, k)
	}
	again, err := secretbox.LoadKey(secretbox.KeySource{DataDir: dir})
	if err != nil || again.Generated || !bytes.Equal(again.Bytes, k.Bytes) {
		t.Fatalf("second load: %+v, %v", again, err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = secretbox.LoadKey(secretbox.KeySource{DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a readable generated key file: %v", err)
	}
}

func TestLoadKeySources(t *testing.T) {
	key := bytes.Repeat([]byte{3}, 32)
	enc := base64.StdEncoding.EncodeToString(key)
	k, err := secretbox.LoadKey(secretbox.KeySource{Value: enc, DataDir: t.TempDir()})
	if err != nil || !bytes.Equal(k.Bytes, key) || k.Origin != "FERRY_SECRET_KEY" {
		t.Fatalf("from value: %+v, %v", k, err)
	}
	file := filepath.Join(t.TempDir(), "key")
	os.WriteFile(file, []byte(enc+"\n"), 0o644)
	k, err = secretbox.LoadKey(secretbox.KeySource{File: file})
	if err != nil || !bytes.Equal(k.Bytes, key) || len(k.Warnings) != 1 || !strings.Contains(k.Warnings[0], "chmod 600") {
		t.Fatalf("from a readable file: %+v, %v", k, err)
	}
	if _, err := secretbox.LoadKey(secretbox.KeySource{Value: enc, File: file}); err == nil {
		t.Error("both a value and a file accepted")
	}
	_, err = secretbox.LoadKey(secretbox.KeySource{Value: "wrong-secret-value"})
	if err == nil || strings.Contains(err.Error(), "wrong-secret-value") || !strings.Contains(err.Error(), "FERRY_SECRET_KEY") {
		t.Errorf("bad value: %v", err)
	}
	if _, err := secretbox.LoadKey(secretbox.KeySource{File: filepath.Join(t.TempDir(), "none")}); err == nil {
		t.Error("a missing file accepted")
	}
}

// settings is an in-memory ferry.SettingService.
type settings map[string]string

func (s settings) Setting(_ context.Context, key string) (string, error) {
	v, ok := s[key]
	if !ok {
		return "", ferry.Errorf(ferry.ENOTFOUND, "not set")
	}
	return v, nil
}

func (s settings) InitSetting(_ context.Context, key, value string) (bool, error) {
	if _, ok := s[key]; ok {
		return false, nil
	}
	s[key] = value
	return true, nil
}

func TestCheckKey(t *testing.T) {
	ctx := context.Background()
	st := settings{}
	right := newBox(t, bytes.Repeat([]byte{1}, 32))
	if err := secretbox.CheckKey(ctx, st, right); err != nil {
		t.Fatal(err)
	}
	if st[secretbox.SettingKeyCheck] == "" {
		t.Fatal("no check value stored")
	}
	if err := secretbox.CheckKey(ctx, st, right); err != nil {
		t.Fatalf("the same key again: %v", err)
	}
	err := secretbox.CheckKey(ctx, st, newBox(t, bytes.Repeat([]byte{2}, 32)))
	if !errors.Is(err, secretbox.ErrWrongKey) || !strings.Contains(err.Error(), "original key") {
		t.Fatalf("wrong key: %v", err)
	}
	st[secretbox.SettingKeyCheck] = "%%%"
	if err := secretbox.CheckKey(ctx, st, right); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("corrupt check value: %v", err)
	}
}

package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sshkey"
)

// openSecretBox loads the master key the config names, generating the data directory's
// key file on first start, and logs where the key came from (never the key).
func openSecretBox(cfg *Config, logger *slog.Logger) (*secretbox.Box, string, error) {
	key, err := secretbox.LoadKey(secretbox.KeySource{Value: cfg.SecretKey, File: cfg.SecretKeyFile, DataDir: cfg.DataDir})
	if err != nil {
		return nil, "", fmt.Errorf("secret key: %w", err)
	}
	for _, w := range key.Warnings {
		logger.Warn(w)
	}
	if key.Generated {
		logger.Warn("generated a new secret key; back it up: without it the stored credentials cannot be decrypted", "source", key.Origin)
		if cfg.DatabaseURL != "" {
			logger.Warn("every server sharing this PostgreSQL database needs the same secret key: copy the file or set FERRY_SECRET_KEY")
		}
	}
	logger.Info("secret key loaded", "source", key.Origin)
	box, err := secretbox.New(key.Bytes)
	if err != nil {
		return nil, "", err
	}
	return box, key.Origin, nil
}

// hostKeyScanner reads the host keys of an SSH host for trust on first use, connecting
// only to the addresses policy allows.
func hostKeyScanner(policy ferry.URLPolicy) func(ctx context.Context, host string) ([]*ferry.KnownHost, error) {
	dial := sshkey.CheckedDialer(policy.CheckAddr)
	return func(ctx context.Context, host string) ([]*ferry.KnownHost, error) {
		return sshkey.ScanHostKeys(ctx, host, dial)
	}
}

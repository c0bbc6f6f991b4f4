package main

import (
	"crypto/ed25519"
	"errors"
	"os"

	"github.com/reprohq/repro/trust"
)

// trustedKeys are the user's own public key (when there is one) and the
// ones given with --key.
func trustedKeys(files []string) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	if path, err := trust.DefaultPath(); err == nil {
		if k, err := trust.Load(path); err == nil {
			keys = append(keys, k.PublicKey())
		} else if !errors.Is(err, trust.ErrNoKey) {
			return nil, err
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, usagef("--key %s: %v", f, err)
		}
		pub, err := trust.ParsePublicKey(b)
		if err != nil {
			return nil, usagef("--key %s: %v", f, err)
		}
		keys = append(keys, pub)
	}
	return keys, nil
}

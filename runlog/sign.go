package runlog

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
)

// Signer signs the chain's head each time a link is appended: the user's
// own key, kept outside the ledger, so that a ledger rewritten end to end,
// every hash recomputed, is still found out.
type Signer interface {
	PublicKey() ed25519.PublicKey
	Sign(msg []byte) []byte
}

// WithSigner signs the chain's head with s as runs are recorded.
func WithSigner(s Signer) Option { return func(o *options) { o.signer = s } }

// KeyID names a public key: "ed25519:" and the first 16 hex digits of
// the sha256 of its PKIX encoding.
func KeyID(pub ed25519.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "ed25519:invalid"
	}
	sum := sha256.Sum256(der)
	return "ed25519:" + hex.EncodeToString(sum[:8])
}

// headMessage is what a chain head's signature covers.
func headMessage(seq int64, hash string) []byte {
	return fmt.Appendf(nil, "repro chain head v1\n%d\n%s\n", seq, hash)
}

// execer runs a statement: a *txn, or a pgxTx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// signHead records signer's signature of the head (seq, hash).
func signHead(ctx context.Context, tx execer, signer Signer, seq int64, hash, at string) error {
	if signer == nil {
		return nil
	}
	pub := signer.PublicKey()
	sig := signer.Sign(headMessage(seq, hash))
	_, err := tx.ExecContext(ctx, `INSERT INTO chain_signatures (key_id, public_key, seq, hash, signature, signed_at) VALUES (?,?,?,?,?,?)
		ON CONFLICT(key_id) DO UPDATE SET public_key = excluded.public_key, seq = excluded.seq, hash = excluded.hash,
		signature = excluded.signature, signed_at = excluded.signed_at`,
		KeyID(pub), []byte(pub), seq, digestValue(hash), sig, at)
	return err
}

// Signature states of a chain head.
const (
	SignedBy          = "signed"
	Unsigned          = "unsigned"
	SignatureMismatch = "signature does not match"
	SignedByUntrusted = "signed by a key not trusted here"
	NothingToSign     = "empty"
)

// HeadSignature is what CheckHead found.
type HeadSignature struct {
	State  string `json:"state"`
	KeyID  string `json:"key_id,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// CheckHead checks the signature of the chain's head (seq, hash, from
// VerifyChain) against the trusted public keys: the user's own and any
// given. Public keys stored in the ledger are never trusted by being
// there.
func (l *Ledger) CheckHead(ctx context.Context, seq int64, hash string, trusted []ed25519.PublicKey) (*HeadSignature, error) {
	if hash == "" {
		return &HeadSignature{State: NothingToSign}, nil
	}
	if l.db == nil {
		return &HeadSignature{State: Unsigned}, nil
	}
	rows, err := l.db.QueryContext(ctx, "SELECT key_id, public_key, seq, hash, signature FROM chain_signatures ORDER BY seq DESC, key_id")
	if err != nil {
		return nil, explain(err)
	}
	defer rows.Close()
	var untrusted, stale *HeadSignature
	for rows.Next() {
		var (
			id       string
			pub, sig []byte
			at       int64
			signed   digestCol
		)
		if err := rows.Scan(&id, &pub, &at, &signed, &sig); err != nil {
			return nil, err
		}
		key := trustedKey(pub, trusted)
		switch {
		case key == nil:
			if untrusted == nil && at == seq && string(signed) == hash {
				untrusted = &HeadSignature{State: SignedByUntrusted, KeyID: id, Detail: fmt.Sprintf("the head is signed by %s, which is not your key", id)}
			}
		case !ed25519.Verify(key, headMessage(at, string(signed)), sig):
			return &HeadSignature{State: SignatureMismatch, KeyID: KeyID(key), Detail: "the stored signature of your key is not a signature of what it claims to sign"}, nil
		case at == seq && string(signed) == hash:
			return &HeadSignature{State: SignedBy, KeyID: KeyID(key)}, nil
		case stale == nil:
			stale = &HeadSignature{State: SignatureMismatch, KeyID: KeyID(key),
				Detail: fmt.Sprintf("%s signed chain position %d with hash %s, but the chain now has %s at position %d: it was rewritten, or extended by a key you do not trust", KeyID(key), at, string(signed), hash, seq)}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	switch {
	case stale != nil && untrusted == nil:
		return stale, nil
	case untrusted != nil:
		return untrusted, nil
	}
	return &HeadSignature{State: Unsigned, Detail: "no key has signed the chain's head"}, nil
}

func trustedKey(pub []byte, trusted []ed25519.PublicKey) ed25519.PublicKey {
	for _, k := range trusted {
		if bytes.Equal(k, pub) {
			return k
		}
	}
	return nil
}

// SignHead signs the current head with s: for a ledger written by a repro
// older than signatures, or one received from someone else, once its
// chain has been verified and its contents are trusted.
func (l *Ledger) SignHead(ctx context.Context, s Signer) error {
	return explainWrite(l.write(ctx, func(tx *txn) error {
		var (
			seq  int64
			hash digestCol
		)
		err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM chain ORDER BY seq DESC LIMIT 1").Scan(&seq, &hash)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		return signHead(ctx, tx, s, seq, string(hash), l.stamp())
	}))
}

package attest

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// PayloadType is the DSSE payload type of an in-toto statement.
const PayloadType = "application/vnd.in-toto+json"

// EnvelopeMediaType is the media type of a DSSE envelope as a layer.
const EnvelopeMediaType = "application/vnd.dsse.envelope.v1+json"

// Envelope is a DSSE envelope.
type Envelope struct {
	PayloadType string      `json:"payloadType"`
	Payload     string      `json:"payload"` // base64 (standard)
	Signatures  []Signature `json:"signatures"`
}

// Signature is one signature of an Envelope.
type Signature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"` // base64 (standard)
}

// PAE is DSSE's pre-authentication encoding of a payload: what is signed.
func PAE(payloadType string, payload []byte) []byte {
	b := []byte("DSSEv1 ")
	b = strconv.AppendInt(b, int64(len(payloadType)), 10)
	b = append(b, ' ')
	b = append(b, payloadType...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(payload)), 10)
	b = append(b, ' ')
	return append(b, payload...)
}

// Signer signs with a pure ed25519 key (not ed25519ph: cosign verifies
// pure ed25519 over DSSE).
type Signer interface {
	PublicKey() ed25519.PublicKey
	Sign(msg []byte) []byte
}

// Seal wraps payload in an envelope signed by s, with keyID naming it.
func Seal(payload []byte, s Signer, keyID string) *Envelope {
	return &Envelope{
		PayloadType: PayloadType,
		Payload:     base64.StdEncoding.EncodeToString(payload),
		Signatures:  []Signature{{KeyID: keyID, Sig: base64.StdEncoding.EncodeToString(s.Sign(PAE(PayloadType, payload)))}},
	}
}

// ErrUnverified is returned when no signature verifies with a trusted key.
var ErrUnverified = errors.New("no signature verifies with a trusted key")

// Open parses a serialized envelope and verifies it: the payload type is
// an in-toto statement's and a signature verifies over its PAE with one of
// keys. It returns the payload and the key that verified it. With no
// verifying key the payload is still returned, with ErrUnverified, for
// callers that list what they cannot trust.
func Open(b []byte, keys []ed25519.PublicKey) (payload []byte, signer ed25519.PublicKey, err error) {
	var env Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, nil, fmt.Errorf("not a DSSE envelope: %w", err)
	}
	if env.PayloadType != PayloadType {
		return nil, nil, fmt.Errorf("payload type %q is not an in-toto statement's", env.PayloadType)
	}
	payload, err = base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, nil, fmt.Errorf("payload: %w", err)
	}
	pae := PAE(env.PayloadType, payload)
	for _, s := range env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil || len(sig) != ed25519.SignatureSize {
			continue
		}
		for _, k := range keys {
			if len(k) == ed25519.PublicKeySize && ed25519.Verify(k, pae, sig) {
				return payload, k, nil
			}
		}
	}
	return payload, nil, ErrUnverified
}

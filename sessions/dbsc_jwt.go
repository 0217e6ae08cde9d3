package sessions

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// A small JWS verifier for DBSC proofs (the JWTs a browser signs with its
// device key), written for audit rather than generality: compact
// serialization only, the algorithms ES256 and RS256 only, "alg" pinned to
// the key's type ("none" and every other value refused), and the key taken
// either from the session (a refresh) or from the "jwk" header member (a
// registration, whose key then becomes the session's).

// ErrDBSCProof: a DBSC proof (a Secure-Session-Response JWT) was refused:
// malformed, of another type or algorithm, signed by another key, or over
// a challenge that is not this session's or has expired.
var ErrDBSCProof = errors.New("sessions: dbsc: proof refused")

// maxProofLen bounds a proof: an RS256 proof with a 4096-bit key in its
// header is about 2 KB.
const maxProofLen = 8192

// minRSABits is the smallest RSA key accepted.
const minRSABits = 2048

// deviceKey is a device's public key: an ECDSA P-256 key (ES256) or an RSA
// key (RS256), with its canonical JWK (RFC 7638).
type deviceKey struct {
	alg       string // "ES256" or "RS256"
	ec        *ecdsa.PublicKey
	rsa       *rsa.PublicKey
	canonical string // the RFC 7638 JSON whose SHA-256 is the thumbprint
}

// thumbprint returns the key's JWK thumbprint (RFC 7638, SHA-256).
func thumbprint(canonical string) [32]byte { return sha256.Sum256([]byte(canonical)) }

// jwk is a JSON Web Key as the proofs carry it; only the members the two
// key types need.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// proof is a parsed, not yet verified, DBSC proof.
type proof struct {
	alg    string
	jwk    *jwk
	jti    string
	auth   string
	signed string // header.payload, the signing input
	sig    []byte
}

func proofErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrDBSCProof}, args...)...)
}

var b64 = base64.RawURLEncoding.Strict()

// parseProof parses a compact JWS with typ "dbsc+jwt" and alg ES256 or
// RS256. It checks the syntax only; verify checks the signature.
func parseProof(token string) (*proof, error) {
	if len(token) > maxProofLen {
		return nil, proofErr("%d bytes is too long", len(token))
	}
	h64, rest, ok1 := strings.Cut(token, ".")
	c64, s64, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(s64, ".") {
		return nil, proofErr("not a compact JWS")
	}
	var hdr struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
		JWK *jwk   `json:"jwk"`
	}
	var claims struct {
		JTI  string `json:"jti"`
		Auth string `json:"authorization"`
	}
	if err := decodePart(h64, &hdr); err != nil {
		return nil, proofErr("header: %v", err)
	}
	if err := decodePart(c64, &claims); err != nil {
		return nil, proofErr("payload: %v", err)
	}
	if hdr.Typ != "dbsc+jwt" {
		return nil, proofErr("typ %q is not dbsc+jwt", hdr.Typ)
	}
	if hdr.Alg != "ES256" && hdr.Alg != "RS256" {
		return nil, proofErr("alg %q is not ES256 or RS256", hdr.Alg)
	}
	if claims.JTI == "" {
		return nil, proofErr("no jti (challenge)")
	}
	sig, err := b64.DecodeString(s64)
	if err != nil {
		return nil, proofErr("signature: %v", err)
	}
	return &proof{alg: hdr.Alg, jwk: hdr.JWK, jti: claims.JTI, auth: claims.Auth,
		signed: token[:len(h64)+1+len(c64)], sig: sig}, nil
}

// decodePart decodes one base64url JSON part of a JWS into v.
func decodePart(s string, v any) error {
	raw, err := b64.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// verify checks the proof's signature with k, whose algorithm the proof's
// alg must be.
func (p *proof) verify(k *deviceKey) error {
	if p.alg != k.alg {
		return proofErr("alg %s does not match the key's %s", p.alg, k.alg)
	}
	sum := sha256.Sum256([]byte(p.signed))
	switch k.alg {
	case "ES256":
		if len(p.sig) != 64 {
			return proofErr("ES256 signature of %d bytes", len(p.sig))
		}
		r, s := new(big.Int).SetBytes(p.sig[:32]), new(big.Int).SetBytes(p.sig[32:])
		if !ecdsa.Verify(k.ec, sum[:], r, s) {
			return proofErr("bad signature")
		}
	case "RS256":
		if rsa.VerifyPKCS1v15(k.rsa, crypto.SHA256, sum[:], p.sig) != nil {
			return proofErr("bad signature")
		}
	default:
		return proofErr("unknown key type")
	}
	return nil
}

// parseJWK checks a JWK and returns the device key it describes.
func parseJWK(j *jwk) (*deviceKey, error) {
	if j == nil {
		return nil, proofErr("no jwk in the header")
	}
	switch j.Kty {
	case "EC":
		return parseECJWK(j)
	case "RSA":
		return parseRSAJWK(j)
	}
	return nil, proofErr("jwk kty %q is not EC or RSA", j.Kty)
}

func parseECJWK(j *jwk) (*deviceKey, error) {
	if j.Crv != "P-256" {
		return nil, proofErr("jwk crv %q is not P-256", j.Crv)
	}
	x, errX := b64.DecodeString(j.X)
	y, errY := b64.DecodeString(j.Y)
	if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
		return nil, proofErr("jwk x, y are not 32-byte base64url")
	}
	point := append(append([]byte{4}, x...), y...)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point) // on the curve, not infinity
	if err != nil {
		return nil, proofErr("jwk point: %v", err)
	}
	canon := `{"crv":"P-256","kty":"EC","x":"` + j.X + `","y":"` + j.Y + `"}`
	return &deviceKey{alg: "ES256", ec: pub, canonical: canon}, nil
}

func parseRSAJWK(j *jwk) (*deviceKey, error) {
	n, errN := b64.DecodeString(j.N)
	e, errE := b64.DecodeString(j.E)
	if errN != nil || errE != nil || len(n) == 0 || n[0] == 0 || len(e) == 0 || e[0] == 0 || len(e) > 4 {
		return nil, proofErr("jwk n, e are not minimal base64url integers")
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	if pub.N.BitLen() < minRSABits || pub.N.BitLen() > 8192 || pub.E < 3 || pub.E%2 == 0 {
		return nil, proofErr("RSA key of %d bits, exponent %d", pub.N.BitLen(), pub.E)
	}
	canon := `{"e":"` + j.E + `","kty":"RSA","n":"` + j.N + `"}`
	return &deviceKey{alg: "RS256", rsa: pub, canonical: canon}, nil
}

// keyFromCanonical parses the canonical JWK a bound session carries.
func keyFromCanonical(canonical string) (*deviceKey, error) {
	var j jwk
	if err := json.Unmarshal([]byte(canonical), &j); err != nil {
		return nil, proofErr("stored key: %v", err)
	}
	return parseJWK(&j)
}

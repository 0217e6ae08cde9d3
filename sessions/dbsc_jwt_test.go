package sessions

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// signES256 signs header and claims with k, as a browser does.
func signES256(t testing.TB, k *ecdsa.PrivateKey, header, claims map[string]any) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	in := b64.EncodeToString(h) + "." + b64.EncodeToString(c)
	sum := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, k, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + b64.EncodeToString(sig)
}

func ecJWK(k *ecdsa.PrivateKey) map[string]string {
	pt, _ := k.PublicKey.Bytes()
	return map[string]string{"kty": "EC", "crv": "P-256", "x": b64.EncodeToString(pt[1:33]), "y": b64.EncodeToString(pt[33:])}
}

func mustEC(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestProofVerifier: the verifier takes a well-formed ES256 proof and
// refuses every deviation the spec or JOSE practice rules out.
func TestProofVerifier(t *testing.T) {
	k := mustEC(t)
	hdr := func(alg, typ string, jwk any) map[string]any {
		return map[string]any{"alg": alg, "typ": typ, "jwk": jwk}
	}
	claims := map[string]any{"jti": "c"}
	good := signES256(t, k, hdr("ES256", "dbsc+jwt", ecJWK(k)), claims)
	p, err := parseProof(good)
	if err != nil {
		t.Fatal(err)
	}
	key, err := parseJWK(p.jwk)
	if err != nil || p.verify(key) != nil || p.jti != "c" {
		t.Fatalf("a good proof: %v, %v", err, p.verify(key))
	}
	if again, err := keyFromCanonical(key.canonical); err != nil || again.canonical != key.canonical {
		t.Fatalf("canonical JWK does not round-trip: %v", err)
	}

	badPoint := ecJWK(k)
	badPoint["y"] = badPoint["x"]
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallJWK := map[string]string{"kty": "RSA", "n": b64.EncodeToString(small.N.Bytes()), "e": "AQAB"}
	h64 := strings.SplitN(good, ".", 2)[0]
	for name, tok := range map[string]string{
		"alg none":         signES256(t, k, hdr("none", "dbsc+jwt", ecJWK(k)), claims),
		"alg HS256":        signES256(t, k, hdr("HS256", "dbsc+jwt", ecJWK(k)), claims),
		"typ JWT":          signES256(t, k, hdr("ES256", "JWT", ecJWK(k)), claims),
		"no jti":           signES256(t, k, hdr("ES256", "dbsc+jwt", ecJWK(k)), map[string]any{}),
		"four parts":       good + ".x",
		"two parts":        h64 + ".x",
		"padded signature": good + "=",
		"too long":         good + strings.Repeat("A", maxProofLen),
		"header not JSON":  b64.EncodeToString([]byte("{")) + good[len(h64):],
	} {
		if _, err := parseProof(tok); !errors.Is(err, ErrDBSCProof) {
			t.Errorf("%s: parse %v", name, err)
		}
	}
	for name, tok := range map[string]string{
		"ES256 with RSA jwk": signES256(t, k, hdr("ES256", "dbsc+jwt", smallJWK), claims),
		"point off curve":    signES256(t, k, hdr("ES256", "dbsc+jwt", badPoint), claims),
		"another key":        signES256(t, mustEC(t), hdr("ES256", "dbsc+jwt", ecJWK(k)), claims),
		"flipped signature":  good[:len(good)-2] + map[bool]string{true: "AA", false: "AQ"}[good[len(good)-2:] != "AA"],
	} {
		p, err := parseProof(tok)
		if err == nil {
			var key *deviceKey
			if key, err = parseJWK(p.jwk); err == nil {
				err = p.verify(key)
			}
		}
		if !errors.Is(err, ErrDBSCProof) {
			t.Errorf("%s: %v", name, err)
		}
	}
	rsaAsEC := &deviceKey{alg: "RS256", rsa: &small.PublicKey}
	if err := p.verify(rsaAsEC); !errors.Is(err, ErrDBSCProof) {
		t.Errorf("an ES256 proof checked against an RSA key: %v", err)
	}
}

// FuzzDBSCJWT: the header's string parser, the proof parser, the JWK parser and the verifier never
// panic; what parses names ES256 or RS256 only, and a key that parses has
// a canonical form that parses back to itself.
func FuzzDBSCJWT(f *testing.F) {
	k := mustEC(f)
	f.Add(signES256(f, k, map[string]any{"alg": "ES256", "typ": "dbsc+jwt", "jwk": ecJWK(k)}, map[string]any{"jti": "c", "authorization": "a"}))
	f.Add(signES256(f, k, map[string]any{"alg": "ES256", "typ": "dbsc+jwt"}, map[string]any{"jti": "c"}))
	f.Add(signES256(f, k, map[string]any{"alg": "none", "typ": "dbsc+jwt"}, map[string]any{"jti": "c"}))
	f.Add("..")
	f.Fuzz(func(t *testing.T, tok string) {
		if s, ok := sfString(tok); ok && strings.ContainsAny(s, "\"\\") {
			t.Fatalf("sfString(%q) = %q", tok, s)
		}
		p, err := parseProof(tok)
		if err != nil {
			if !errors.Is(err, ErrDBSCProof) {
				t.Fatalf("error %v does not match ErrDBSCProof", err)
			}
			return
		}
		if p.alg != "ES256" && p.alg != "RS256" {
			t.Fatalf("alg %q parsed", p.alg)
		}
		key, err := parseJWK(p.jwk)
		if err != nil {
			return
		}
		_ = p.verify(key)
		again, err := keyFromCanonical(key.canonical)
		if err != nil || again.canonical != key.canonical {
			t.Fatalf("canonical JWK %q does not round-trip: %v", key.canonical, err)
		}
	})
}

package sessions

import (
	"bytes"
	"errors"
	"testing"
)

// sampleDevice is a canonical P-256 JWK as a bound session carries it.
const sampleDevice = `{"crv":"P-256","kty":"EC","x":"6_GB2voQ0qroMh6OlDFCFS_SJriQi1PTvvBOhGZ3bHI","y":"IegOJULyE7SxH_Cd1KCER7lWBvGFHQ-h0xyjzUjEIWE"}`

// TestPayloadDeviceKey: a bound session is written as version 2 and reads
// back with its key; an unbound one is version 1, byte for byte what it
// was before version 2 existed, so older cookies and newer unbound ones
// are the same thing.
func TestPayloadDeviceKey(t *testing.T) {
	p := samplePayload(t)
	v1 := appendPayload(nil, p)
	if v1[0] != 1 {
		t.Fatalf("unbound payload version %d", v1[0])
	}
	p.device = sampleDevice
	v2 := appendPayload(nil, p)
	if v2[0] != 2 || !bytes.Equal(v2[1:len(v1)], v1[1:]) {
		t.Fatal("version 2 is not version 1 plus the device key")
	}
	var got payload
	if err := decodePayload(v2, &got); err != nil || got.device != sampleDevice {
		t.Fatalf("decode v2: %v, device %q", err, got.device)
	}
	if err := decodePayload(v1, &got); err != nil || got.device != "" {
		t.Fatalf("decode v1 into a bound payload: %v, device %q", err, got.device)
	}
	for name, b := range map[string][]byte{
		"v2 without key":  append([]byte{2}, v1[1:]...),
		"v2 empty key":    append(append([]byte{2}, v1[1:]...), 0),
		"v2 short key":    append(append([]byte{2}, v1[1:]...), 5, 'a'),
		"v1 with key":     append([]byte{1}, v2[1:]...),
		"unknown version": append([]byte{3}, v2[1:]...),
	} {
		if err := decodePayload(b, &got); !errors.Is(err, errPayload) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

package natsrepl

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sealedsessions/sealed/revocation"
)

// FuzzVerify feeds attacker-chosen subjects, headers and bytes to the
// consumer's check: it never panics, never accepts a message the ring did
// not sign, and accepts one it did only with its exact subject and bytes.
func FuzzVerify(f *testing.F) {
	ring := clusterRing()
	ev, err := revocation.AllEvent("seed", mustTime())
	if err != nil {
		f.Fatal(err)
	}
	data, _ := ev.MarshalBinary()
	good := sign(ring, subject(DefaultSubjectPrefix, revocation.KindAll), data)
	f.Add(good.Subject, ring.Primary().ID, good.Header.Get(HeaderMAC), data)
	f.Add("sealed.revocations.all", "", "", data)
	f.Add("x", "aaaaaaaa", "%%%", []byte{})
	f.Fuzz(func(t *testing.T, subj, keyID, mac string, data []byte) {
		h := nats.Header{}
		if keyID != "" {
			h.Set(HeaderKeyID, keyID)
		}
		if mac != "" {
			h.Set(HeaderMAC, mac)
		}
		err := verify(ring, subj, h, data)
		if err != nil {
			return
		}
		// Accepted: it must be exactly what the ring signs for it.
		want := sign(ring, subj, data)
		if h.Get(HeaderKeyID) != ring.Primary().ID || h.Get(HeaderMAC) != want.Header.Get(HeaderMAC) {
			t.Fatalf("accepted a message the ring did not sign: subject %q key %q", subj, keyID)
		}
	})
}

func mustTime() time.Time { return time.Unix(1_800_000_000, 0) }

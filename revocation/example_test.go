package revocation_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/sealedsessions/sealed/revocation"
)

func Example() {
	dir, err := os.MkdirTemp("", "revocations")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	store, err := revocation.Open(filepath.Join(dir, "data"), revocation.Config{
		AbsoluteLifetime: 30 * 24 * time.Hour,
		Logger:           slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	ctx := context.Background()
	created := time.Now()
	session := [16]byte{1, 2, 3}

	// Log out: this session ID is dead until it would have expired anyway.
	if err := store.RevokeSession(ctx, session, created.Add(14*24*time.Hour)); err != nil {
		log.Fatal(err)
	}
	dead, _ := store.Revoked(session, "alice", created)
	fmt.Println("logged-out session revoked:", dead)

	// Log out everywhere: alice's sessions created up to now are dead...
	cutoff := time.Now()
	if err := store.RevokeUser(ctx, "alice", cutoff); err != nil {
		log.Fatal(err)
	}
	dead, _ = store.Revoked([16]byte{4}, "alice", created)
	fmt.Println("alice's older session revoked:", dead)
	// ...but a login a nanosecond later is not.
	dead, _ = store.Revoked([16]byte{5}, "alice", cutoff.Add(time.Nanosecond))
	fmt.Println("alice's new session revoked:", dead)
	dead, _ = store.Revoked([16]byte{6}, "bob", created)
	fmt.Println("bob's session revoked:", dead)

	// Output:
	// logged-out session revoked: true
	// alice's older session revoked: true
	// alice's new session revoked: false
	// bob's session revoked: false
}

func ExampleStore_Apply() {
	dir, err := os.MkdirTemp("", "revocations")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := revocation.Open(dir, revocation.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	// An event from another instance, as a replicator receives it.
	now := time.Now()
	ev := revocation.Event{ID: [16]byte{9}, Kind: revocation.KindAll, At: now, Origin: "node-b"}
	wire, err := ev.MarshalBinary()
	if err != nil {
		log.Fatal(err)
	}
	var got revocation.Event
	if err := got.UnmarshalBinary(wire); err != nil {
		log.Fatal(err)
	}
	// Apply it twice with the stream position: the second changes nothing.
	for seq := range 2 {
		cur := revocation.Cursor{Name: "nats", Value: fmt.Append(nil, 41+seq)}
		if err := store.Apply(context.Background(), []revocation.Event{got}, cur); err != nil {
			log.Fatal(err)
		}
	}
	pos, _ := store.Cursor("nats")
	dead, _ := store.Revoked([16]byte{1}, "", now)
	fmt.Printf("position %s, everything before revoked: %v\n", pos, dead)
	// Output: position 42, everything before revoked: true
}

func ExampleStore_Outbox() {
	dir, err := os.MkdirTemp("", "revocations")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := revocation.Open(dir, revocation.Config{
		Outbox: true, Node: "node-a", Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()

	if err := store.RevokeUser(ctx, "alice", time.Now()); err != nil {
		log.Fatal(err)
	}
	<-store.OutboxReady() // a replicator waits on this

	pending, err := store.Outbox(ctx, 100)
	if err != nil {
		log.Fatal(err)
	}
	for _, ev := range pending {
		fmt.Println("publish:", ev.Kind, ev.User, "from", ev.Origin)
		// ...publish to the stream, then once acknowledged:
		if err := store.AckOutbox(ctx, ev.ID); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("pending:", store.Stats().OutboxDepth)
	// Output:
	// publish: user alice from node-a
	// pending: 0
}

func ExampleStore_RevokeAll() {
	dir, err := os.MkdirTemp("", "revocations")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := revocation.Open(dir, revocation.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	before := time.Now()
	// Incident response: every session created up to now is dead.
	cutoff := time.Now()
	if err := store.RevokeAll(context.Background(), cutoff); err != nil {
		log.Fatal(err)
	}
	old, _ := store.Revoked([16]byte{1}, "alice", before)
	fresh, _ := store.Revoked([16]byte{2}, "alice", cutoff.Add(time.Nanosecond))
	fmt.Println("old session revoked:", old)
	fmt.Println("session created after revoked:", fresh)
	fmt.Println("all cut-off recorded:", store.Stats().All.Equal(cutoff))
	// Output:
	// old session revoked: true
	// session created after revoked: false
	// all cut-off recorded: true
}

// sealctl's way: build the event with the package's constructor, then
// publish it (natsrepl.Publish) or see what a store would keep.
func ExampleSessionEvent() {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	id := [16]byte{0xab, 0xcd}
	ev, err := revocation.SessionEvent("sealctl@ops", id, now, time.Time{}) // zero until: as late as allowed
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ev.Kind, ev.Origin, ev.Until.IsZero())

	// A store with a 24h absolute lifetime keeps the entry a day at most.
	kept, live, err := ev.Clamp(now, 24*time.Hour, 2*time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("kept until", kept.Until.Format(time.RFC3339), "live:", live)
	// Output:
	// session sealctl@ops true
	// kept until 2026-12-02T09:00:00Z live: true
}

func ExampleEvent_Clamp() {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	const life = 24 * time.Hour
	user, err := revocation.UserEvent("node-a", "alice", now.Add(-time.Hour))
	if err != nil {
		log.Fatal(err)
	}
	const skew = 2 * time.Minute
	ev, live, err := user.Clamp(now, life, skew)
	fmt.Println("user entry until", ev.Until.Format(time.RFC3339), live, err)

	old, _ := revocation.UserEvent("node-a", "bob", now.Add(-2*life))
	_, live, err = old.Clamp(now, life, skew)
	fmt.Println("a cut-off older than the lifetime is live:", live, err)

	ahead, _ := revocation.AllEvent("node-a", now.Add(2*life))
	ev, _, err = ahead.Clamp(now, life, skew)
	fmt.Println("a future cut-off is lowered to", ev.At.Format(time.RFC3339), err)
	// Output:
	// user entry until 2026-12-02T08:00:00Z true <nil>
	// a cut-off older than the lifetime is live: false <nil>
	// a future cut-off is lowered to 2026-12-01T09:02:00Z <nil>
}

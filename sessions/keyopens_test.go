package sessions_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// KeyOpens counts valid sessions per key: the old key's count stops moving
// once its cookies are re-sealed under the new primary, which is the sign
// that it can be retired.
func TestKeyOpens(t *testing.T) {
	e := newEnv(t)
	old := e.keys.Keyring()
	oldID := old.Primary().ID
	if got := e.m.KeyOpens(); len(got) != 0 {
		t.Fatalf("KeyOpens before any request = %v, want empty", got)
	}
	v := e.login("alice").value()
	e.withCookie(v, nil)
	e.withCookie("tampered", nil) // refused: counts under no key
	if got := e.m.KeyOpens(); len(got) != 1 || got[oldID] != 1 {
		t.Fatalf("KeyOpens = %v, want {%s: 1}", got, oldID)
	}

	rotated, newKey, err := old.Rotate(t0)
	if err != nil {
		t.Fatal(err)
	}
	e.keys.set(rotated)
	resealed := e.withCookie(v, nil).value() // opens under the old key, re-sealed
	e.withCookie(resealed, nil)
	e.withCookie(resealed, nil)
	got := e.m.KeyOpens()
	if len(got) != 2 || got[oldID] != 2 || got[newKey.ID] != 2 {
		t.Errorf("KeyOpens after rotation = %v, want {%s: 2, %s: 2}", got, oldID, newKey.ID)
	}
}

func TestKeyOpensConcurrent(t *testing.T) {
	e := newEnv(t)
	v := e.login("alice").value()
	h := e.m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				req := httptest.NewRequest(http.MethodGet, "/", nil)
				req.Header.Set("Cookie", e.name()+"="+v)
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
	wg.Wait()
	if got := e.m.KeyOpens()[e.keys.Keyring().Primary().ID]; got != 200 {
		t.Errorf("KeyOpens for the primary = %d, want 200", got)
	}
}

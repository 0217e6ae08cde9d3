package sessions

import (
	"net/http"
	"testing"
)

// TestHeaderSlotsHandOutOnce: the first value of a header goes in the
// session's own array as a slice of capacity one, so appending to the
// header never writes past it, and a slice the caller kept from the header
// is never written again, even when the header is set anew.
func TestHeaderSlotsHandOutOnce(t *testing.T) {
	var hs headerSlots
	h := http.Header{}
	hs.add(h, "Vary", slotVary, "Cookie")
	kept := h["Vary"]
	if len(kept) != 1 || cap(kept) != 1 || kept[0] != "Cookie" {
		t.Fatalf("Vary = %q (cap %d), want [Cookie] with capacity 1", kept, cap(kept))
	}
	h.Add("Vary", "Accept")
	hs.add(h, "Set-Cookie", slotSetCookie, "a=1")
	if got := h["Vary"]; len(got) != 2 || got[0] != "Cookie" || got[1] != "Accept" {
		t.Fatalf("Vary = %q after an Add", got)
	}
	if h.Get("Set-Cookie") != "a=1" || kept[0] != "Cookie" {
		t.Fatalf("neighbouring places overlap: Set-Cookie %q, kept Vary %q", h["Set-Cookie"], kept)
	}

	// Emptied and set again: the place was handed out, so a new slice.
	h.Del("Vary")
	hs.add(h, "Vary", slotVary, "Origin")
	if kept[0] != "Cookie" || h.Get("Vary") != "Origin" {
		t.Fatalf("the place was reused: kept %q, Vary %q", kept, h["Vary"])
	}

	// A header already there keeps its values and gets one more.
	var fresh headerSlots
	h2 := http.Header{"Cache-Control": {"max-age=0"}}
	fresh.add(h2, "Cache-Control", slotCacheControl, "x")
	if got := h2["Cache-Control"]; len(got) != 2 || got[0] != "max-age=0" || fresh.used[slotCacheControl] {
		t.Fatalf("Cache-Control = %q, place used %v", got, fresh.used[slotCacheControl])
	}
}

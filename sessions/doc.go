// Package sessions keeps user sessions in encrypted cookies, with Django's
// session API, and makes logout real with a server-side revocation list.
//
// The session's data, bound user, creation and save times and custom
// expiry travel in one cookie sealed by a [keyring.Keyring] (AES-256 and
// HMAC-SHA256 through gorilla/securecookie). Any instance holding the
// keyring can serve any request. On every request, after the cookie opens,
// the [Manager] asks its [Revoker] whether the session, its user or
// everything was revoked; Flush, CycleID, Login and Logout record the old
// session ID there, so a copied cookie stops working at once.
//
// # Usage
//
// Build one Manager at start-up and wrap the handlers:
//
//	keys, err := keyring.Watch("keyring.json", keyring.WatchOptions{})
//	store, err := revocation.Open("data/revocation", revocation.Config{})
//	m, err := sessions.New(sessions.Config{Keys: keys, Revoker: store})
//	http.ListenAndServe(addr, m.Handler(mux)) // or router.Use(m.Handler)
//
// In a handler, get the session and use it as Django's request.session:
//
//	s, err := m.Session(r)
//	n := sessions.Get(s, "visits", 0)          // typed, with a default
//	err = s.Set("visits", n+1)                 // encoded now: errors here, not at save
//	cart, ok := sessions.Lookup[Cart](s, "cart") // any JSON-encodable type
//	err = s.Login(r.Context(), user.ID)        // binds the user, cycles the ID
//	err = s.Logout(r.Context())                // flushes and revokes
//	err = m.RevokeUser(r.Context(), user.ID)   // "log out everywhere"
//
// Django's names map as: s[k]=v → Set; get → [Get]/[Lookup]; pop → [Pop];
// setdefault → [SetDefault]; update → Update; del → Delete; in → Has;
// keys/values/items → Keys/Values/Items; clear → Clear; flush → Flush;
// cycle_key → CycleID; set_expiry(seconds/datetime/0/None) →
// SetExpiry/SetExpiryAt/SetExpiry(0) or SetExpireAtBrowserClose/ResetExpiry
// (SetExpiry(0) is "until the browser closes", as in Django; a negative
// duration expires the session now);
// get_expiry_age/get_expiry_date/get_expire_at_browser_close →
// ExpiryAge/ExpiryDate/ExpireAtBrowserClose; session.modified = True →
// MarkModified; SessionInterrupted → [ErrSessionInterrupted]; the messages
// framework → AddFlash/Flashes (bounded as Django's cookie storage: when a
// save would not fit, the oldest messages are dropped and counted in
// Stats.FlashDropped). Modified and Accessed follow Django's flags.
// Code that has a context but no request or Manager (a service a handler
// calls) gets the session with [FromContext].
//
// The middleware writes the cookie when the response starts (first
// WriteHeader, Write or Flush), never after the body; an untouched session
// writes nothing (unless Config.SaveEveryRequest is set, or it must be
// re-sealed under a new primary key), an accessed one adds "Vary: Cookie",
// a written cookie adds Cache-Control: no-cache="Set-Cookie". A response
// with status 500 or more saves nothing, not even what the handler's own
// Save put in its headers. A session another request ended while this one
// ran (logout, "log out everywhere") is not saved: Save returns
// [ErrSessionInterrupted], the middleware hands it to Config.ErrorHandler,
// and the browser gets the handler's response without a session cookie
// (see [Manager.Handler] for why not Django's 400). Code that can't use middleware calls [Manager.Load] and
// [Manager.Save]. [Manager.Inspect] (sealctl inspect) describes a cookie
// value, for debugging.
//
// Values are stored in a compact binary form: strings, bools, every integer
// and float type, []byte and time.Time keep their type (an int comes back an
// int; Get converts between integer types when lossless); anything else is
// JSON. One cookie holds at most 4096 bytes, about 2 KB of data: a session
// that grows past it, even without its flash messages, is not saved (the
// previous cookie stays) and Config.ErrorHandler gets a [*TooLargeError]
// naming the largest keys (the flash messages, together, as [FlashKey]). Keep
// large or growing data server-side and store its ID in the session.
//
// # Security
//
// Cookies are Secure, HttpOnly and SameSite=Lax by default. Dropping Secure
// or HttpOnly takes a field whose name starts with Insecure; SameSite is
// Config.SameSite, and None is refused without Secure. Every expiry is
// decided on the server from the sealed payload: the idle expiry
// (Config.CookieAge, or SetExpiry), a custom date (SetExpiryAt), and the
// absolute lifetime (Config.AbsoluteLifetime from creation or last Login),
// which caps everything including sliding renewal. The cookie's Max-Age
// only mirrors it. A change that shortens the session's life (an earlier
// expiry, a browser-session cookie instead of a lasting one) gives it a new
// ID and revokes the old one, so a copy of the cookie issued before, which
// carries the longer expiry, stops opening.
//
// A cookie that is missing, malformed, tampered, sealed for another cookie
// name, sealed under an unknown or retired key, expired or revoked gives
// the request a fresh empty session: the client never learns which check
// failed, never gets a 500. The reason is counted in [Manager.Stats] and
// logged, never with the cookie value: a cookie only an attacker makes (a
// bad MAC, a value sealed for another cookie name, an unknown key ID) is a
// security event, logged at Warn with the reason and the key ID it names,
// at most one line per reason per second (the next says how many were
// suppressed); revoked is logged at Info, malformed and expired at Debug.
// The response deletes the refused cookie, so the browser stops sending
// it, unless the revocation list failed (the session may be valid) or
// another cookie of the name opened. At most four cookies of the
// configured name are tried per request, in header order; the first one
// that passes every check is used.
//
// If the Revoker fails, the Manager fails closed (the session is treated as
// revoked) unless Config.InsecureFailOpen is set. Without a Revoker
// (Config.InsecureNoRevocation) logout only deletes the browser's cookie and
// a copy keeps working until it expires, as with other cookie stores.
// Session revocations last until no cookie carrying the ID can still be
// alive: the end of its absolute lifetime, since an earlier cookie with the
// same ID may carry a longer custom expiry than the current one. User and
// global revocations compare creation times, and this Manager's creation
// stamps and revocation cut-offs are strictly increasing, so a login right
// after "log out everywhere" on the same instance survives it.
//
// A cookie opened under a non-primary key is re-sealed under the primary on
// that response, so key rotation converges as users return.
//
// The payload is authenticated and encrypted, but its size is visible:
// cookie length reveals roughly how much data a session holds.
//
// A Manager caches, per exact cookie value it has verified, what the value
// decoded to (Config.VerifiedCacheEntries; on by default, bounded), so a
// repeat request skips the MAC and the decryption. Expiry, the revocation
// list and the keyring (a reloaded keyring starts the cache afresh) are
// still checked on every request; SECURITY.md says why this leaks nothing.
//
// # Concurrency
//
// A Manager is safe for concurrent use and immutable after New, except the
// keyring, which it asks its keyring.Source for on every request (a
// *keyring.Watcher swaps it atomically). A Session belongs to one request;
// its methods take a mutex, so goroutines of that request may share it, but
// changes made after the response has started are not saved.
package sessions

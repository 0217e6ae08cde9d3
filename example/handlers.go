package main

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/sealedsessions/sealed/sessions"
)

// maxFormBytes bounds every form body.
const maxFormBytes = 16 << 10

// parseForm reads a POST form with a size limit. A bad body is the
// client's fault: 400.
func (s *Server) parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "The form could not be read.", "/")
		return false
	}
	return true
}

// sessionHandler is a handler that works on the request's session.
type sessionHandler func(w http.ResponseWriter, r *http.Request, sess *sessions.Session)

// withSession adapts h to http.HandlerFunc: it reads the request's session
// first and answers 500 itself if there is none (see session).
func (s *Server) withSession(h sessionHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if sess, ok := s.session(w, r); ok {
			h(w, r, sess)
		}
	}
}

// withForm is withSession for a POSTed form: it parses the form first
// (400 if it can't be read), then reads the session.
func (s *Server) withForm(h sessionHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.parseForm(w, r) {
			s.withSession(h)(w, r)
		}
	}
}

// ---- home, login, logout ----

type homeData struct {
	Products []product
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "home", "Home", homeData{Products: catalogue})
}

type loginData struct {
	Username string
	Error    string
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login", "Log in", loginData{})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	name := strings.TrimSpace(r.PostFormValue("username"))
	u, ok := authenticate(name, r.PostFormValue("password"))
	if !ok {
		// A name that is no user's is often a password typed one field
		// too early: only known names reach the log.
		logged := "(unknown user)"
		if _, known := lookupUser(name); known {
			logged = name
		}
		s.logger.Info("login failed", "username", logged)
		s.render(w, r, http.StatusUnauthorized, "login", "Log in",
			loginData{Username: name, Error: "Wrong username or password."})
		return
	}
	// Login cycles the session ID (the old one is revoked: fixation
	// defence) and binds the user, keeping the cart and preferences.
	if err := sess.Login(r.Context(), u.Name); err != nil {
		s.serverError(w, r, "login", err)
		return
	}
	s.logger.Info("login", "username", u.Name)
	sess.AddFlash("Welcome back, " + u.Name + ".")
	redirect(w, r, "/")
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	user := sess.UserID()
	// Logout flushes: the data goes, the session ID is revoked server-side,
	// the cookie is deleted. A copy of the old cookie no longer opens.
	if err := sess.Logout(r.Context()); err != nil {
		s.serverError(w, r, "logout", err)
		return
	}
	if user != "" {
		s.logger.Info("logout", "username", user)
	}
	redirect(w, r, "/")
}

func (s *Server) logoutEverywhere(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	user := sess.UserID()
	if user == "" {
		redirect(w, r, "/login")
		return
	}
	if err := s.mgr.RevokeUser(r.Context(), user); err != nil {
		s.serverError(w, r, "revoke user", err)
		return
	}
	if err := sess.Logout(r.Context()); err != nil {
		s.serverError(w, r, "logout", err)
		return
	}
	s.logger.Info("logged out everywhere", "username", user)
	redirect(w, r, "/")
}

// serverError logs err and answers 500. Session changes are not saved on a
// 5xx response.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, op string, err error) {
	s.logger.Error(op, "path", r.URL.Path, "err", err)
	s.fail(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.", "/")
}

// ---- cart ----

// cart returns the session's cart: product ID to quantity.
func cart(sess *sessions.Session) map[string]int {
	c := sessions.Get(sess, keyCart, map[string]int(nil))
	if c == nil {
		c = map[string]int{}
	}
	return c
}

type cartLine struct {
	Product product
	Qty     int
	Total   int // cents
}

type cartData struct {
	Lines    []cartLine
	Count    int
	Total    int
	Products []product
	Error    string
	Orders   int
}

func (s *Server) cartData(sess *sessions.Session) cartData {
	d := cartData{Products: catalogue, Orders: sessions.Get(sess, keyOrders, 0)}
	c := cart(sess)
	for _, p := range catalogue {
		if n := c[p.ID]; n > 0 {
			d.Lines = append(d.Lines, cartLine{Product: p, Qty: n, Total: n * p.PriceCents})
			d.Count += n
			d.Total += n * p.PriceCents
		}
	}
	return d
}

func (s *Server) cartPage(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	s.render(w, r, http.StatusOK, "cart", "Cart", s.cartData(sess))
}

// cartError re-renders the cart with a 400 and a message.
func (s *Server) cartError(w http.ResponseWriter, r *http.Request, sess *sessions.Session, msg string) {
	d := s.cartData(sess)
	d.Error = msg
	s.render(w, r, http.StatusBadRequest, "cart", "Cart", d)
}

// cartProduct reads a cart form's product; on failure it has answered the
// request.
func (s *Server) cartProduct(w http.ResponseWriter, r *http.Request, sess *sessions.Session) (string, product, bool) {
	id := r.PostFormValue("product")
	p, ok := findProduct(id)
	if !ok {
		s.cartError(w, r, sess, fmt.Sprintf("Unknown product %q.", truncate(id, 40)))
		return "", product{}, false
	}
	return id, p, true
}

func (s *Server) cartAdd(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	id, p, ok := s.cartProduct(w, r, sess)
	if !ok {
		return
	}
	qtyText := strings.TrimSpace(r.PostFormValue("qty"))
	if qtyText == "" {
		qtyText = "1"
	}
	qty, err := strconv.Atoi(qtyText)
	if err != nil || qty < 1 || qty > maxQty {
		s.cartError(w, r, sess, fmt.Sprintf("Quantity must be a whole number from 1 to %d, not %q.", maxQty, truncate(qtyText, 20)))
		return
	}
	c := cart(sess)
	if c[id]+qty > maxQty {
		s.cartError(w, r, sess, fmt.Sprintf("You can have at most %d of %s in your cart (you have %d).", maxQty, p.Name, c[id]))
		return
	}
	c[id] += qty
	if err := sess.Set(keyCart, c); err != nil {
		s.serverError(w, r, "save cart", err)
		return
	}
	sess.AddFlash(fmt.Sprintf("Added %d × %s to your cart.", qty, p.Name))
	redirect(w, r, "/cart")
}

func (s *Server) cartRemove(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	id, p, ok := s.cartProduct(w, r, sess)
	if !ok {
		return
	}
	c := cart(sess)
	if _, in := c[id]; !in {
		s.cartError(w, r, sess, p.Name+" is not in your cart.")
		return
	}
	delete(c, id)
	if len(c) == 0 {
		sess.Delete(keyCart)
	} else if err := sess.Set(keyCart, c); err != nil {
		s.serverError(w, r, "save cart", err)
		return
	}
	sess.AddFlash("Removed " + p.Name + " from your cart.")
	redirect(w, r, "/cart")
}

func (s *Server) cartCheckout(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	d := s.cartData(sess)
	if d.Count == 0 {
		s.cartError(w, r, sess, "Your cart is empty: add something before checking out.")
		return
	}
	order := strings.ToUpper(rand.Text()[:8])
	sess.Delete(keyCart)
	if err := sess.Set(keyOrders, d.Orders+1); err != nil {
		s.serverError(w, r, "count orders", err)
		return
	}
	s.logger.Info("order placed", "order", order, "items", d.Count, "total_cents", d.Total, "username", sess.UserID())
	sess.AddFlash(fmt.Sprintf("Thank you! Order %s is confirmed: %d items, %s.", order, d.Count, formatCents(d.Total)))
	redirect(w, r, "/cart")
}

// ---- multi-step signup ----

// plans offered at step 2.
var plans = []struct{ ID, Name, Blurb string }{
	{"free", "Free", "One user, community support."},
	{"pro", "Pro", "Five users, e-mail support, €9 a month."},
	{"team", "Team", "Unlimited users, phone support, €29 a month."},
}

func validPlan(id string) bool {
	return slices.ContainsFunc(plans, func(p struct{ ID, Name, Blurb string }) bool { return p.ID == id })
}

func planName(id string) string {
	for _, p := range plans {
		if p.ID == id {
			return p.Name
		}
	}
	return id
}

type signupData struct {
	Step   int
	Values map[string]string // what the form shows: saved answers, or what was just typed
	Errors map[string]string // field name to message
	Plans  any
	Plan   string // display name of the chosen plan
}

func signup(sess *sessions.Session) map[string]string {
	m := sessions.Get(sess, keySignup, map[string]string(nil))
	if m == nil {
		m = map[string]string{}
	}
	return m
}

// firstMissingStep returns the first step whose answers are missing, or 0
// when steps 1 and 2 are done.
func firstMissingStep(v map[string]string) int {
	switch {
	case v["name"] == "" || v["email"] == "":
		return 1
	case v["plan"] == "":
		return 2
	}
	return 0
}

// signupStep reads the step from the URL; if an earlier step is still
// unanswered it redirects there and reports false.
func signupStep(w http.ResponseWriter, r *http.Request, answers map[string]string) (int, bool) {
	step, _ := strconv.Atoi(mux.Vars(r)["step"])
	if m := firstMissingStep(answers); m != 0 && m < step {
		redirect(w, r, fmt.Sprintf("/signup/%d", m))
		return 0, false
	}
	return step, true
}

func (s *Server) signupForm(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	v := signup(sess)
	step, ok := signupStep(w, r, v)
	if !ok {
		return
	}
	s.renderSignup(w, r, http.StatusOK, step, v, nil)
}

func (s *Server) renderSignup(w http.ResponseWriter, r *http.Request, status, step int, values, errs map[string]string) {
	s.render(w, r, status, "signup", fmt.Sprintf("Sign up: step %d of 3", step), signupData{
		Step: step, Values: values, Errors: errs, Plans: plans, Plan: planName(values["plan"]),
	})
}

func (s *Server) signupSubmit(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	saved := signup(sess)
	step, ok := signupStep(w, r, saved)
	if !ok {
		return
	}
	// typed is the saved answers overlaid with this step's fields, so a
	// re-rendered form keeps exactly what was typed.
	typed := make(map[string]string, len(saved)+2)
	for k, v := range saved {
		typed[k] = v
	}
	errs := map[string]string{}
	next := ""
	switch step {
	case 1:
		name := strings.TrimSpace(r.PostFormValue("name"))
		email := strings.TrimSpace(r.PostFormValue("email"))
		typed["name"], typed["email"] = name, email
		switch {
		case name == "":
			errs["name"] = "Please enter your name."
		case utf8.RuneCountInString(name) > 100:
			errs["name"] = "Your name must be at most 100 characters."
		}
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
			errs["email"] = "Please enter an e-mail address like name@example.com."
		}
		next = "/signup/2"
	case 2:
		plan := r.PostFormValue("plan")
		typed["plan"] = plan
		if !validPlan(plan) {
			errs["plan"] = "Please choose one of the plans."
			typed["plan"] = ""
		}
		next = "/signup/3"
	case 3:
		confirm := r.PostFormValue("confirm")
		if confirm != "on" && confirm != "yes" {
			errs["confirm"] = "Please tick the box to confirm."
		} else {
			typed["confirm"] = "yes"
			typed["done"] = s.now().UTC().Format(time.RFC3339)
		}
		next = "/signup/done"
	}
	if len(errs) > 0 {
		s.renderSignup(w, r, http.StatusUnprocessableEntity, step, typed, errs)
		return
	}
	if step < 3 {
		// Changing an earlier answer re-opens the form.
		delete(typed, "done")
		delete(typed, "confirm")
	}
	if err := sess.Set(keySignup, typed); err != nil {
		s.serverError(w, r, "save signup", err)
		return
	}
	redirect(w, r, next)
}

func (s *Server) signupDone(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	v := signup(sess)
	if v["done"] == "" {
		m := firstMissingStep(v)
		if m == 0 {
			m = 3
		}
		redirect(w, r, fmt.Sprintf("/signup/%d", m))
		return
	}
	s.render(w, r, http.StatusOK, "signup_done", "Signed up", signupData{Step: 4, Values: v, Plan: planName(v["plan"])})
}

func (s *Server) signupReset(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	sess.Delete(keySignup)
	redirect(w, r, "/signup/1")
}

// ---- search ----

type searchData struct {
	Query    string
	Searched bool
	Results  []product
	Recent   []string
	Error    string
}

func (s *Server) search(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	recent := sessions.Get(sess, keySearches, []string(nil))
	d := searchData{Query: q}
	if utf8.RuneCountInString(q) > maxSearchLen || !utf8.ValidString(q) {
		d.Query = truncate(q, maxSearchLen) // echo no more than the form takes
		d.Recent = recent
		d.Error = fmt.Sprintf("Searches are limited to %d characters.", maxSearchLen)
		s.render(w, r, http.StatusBadRequest, "search", "Search", d)
		return
	}
	if q != "" {
		d.Searched = true
		d.Results = searchCatalogue(q)
	}
	if q != "" && sameSiteNavigation(r) {
		recent = addSearch(recent, q)
		if err := sess.Set(keySearches, recent); err != nil {
			s.serverError(w, r, "save searches", err)
			return
		}
	}
	d.Recent = recent
	s.render(w, r, http.StatusOK, "search", "Search", d)
}

// addSearch puts q at the front of the history: newest first, no
// duplicates, at most recentSearchN searches and recentSearchBytes bytes
// (the newest is always kept), so the history can't crowd the rest of the
// session out of its 4 KB cookie.
func addSearch(recent []string, q string) []string {
	recent = slices.DeleteFunc(recent, func(x string) bool { return x == q })
	recent = append([]string{q}, recent...)
	n := len(q)
	for i := 1; i < len(recent); i++ {
		n += len(recent[i])
		if i == recentSearchN || n > recentSearchBytes {
			return recent[:i]
		}
	}
	return recent
}

// sameSiteNavigation reports whether a GET came from this site or from the
// user (typed, bookmarked), going by Sec-Fetch-Site; a request without it
// (an old browser, curl) counts as the user's. A GET is not behind
// CrossOriginProtection and the SameSite=Lax cookie goes with a top-level
// navigation from anywhere, so without this check any site could link its
// visitors to /search?q=… and write into their session.
func sameSiteNavigation(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return true
	}
	return false
}

// ---- preferences ----

type prefsData struct {
	Theme, Lang string
	Remember    bool
	Languages   any
	Themes      []string
	Error       string
}

func (s *Server) preferencesForm(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	s.render(w, r, http.StatusOK, "preferences", "Preferences", prefsData{
		Theme:     sessions.Get(sess, keyTheme, "light"),
		Lang:      sessions.Get(sess, keyLang, "en"),
		Remember:  sessions.Get(sess, keyRemember, false),
		Languages: languages,
		Themes:    themes,
	})
}

func (s *Server) preferences(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	theme, lang := r.PostFormValue("theme"), r.PostFormValue("language")
	remember := r.PostFormValue("remember") == "on"
	if !validTheme(theme) || !validLanguage(lang) {
		s.render(w, r, http.StatusBadRequest, "preferences", "Preferences", prefsData{
			Theme: theme, Lang: lang, Remember: remember, Languages: languages, Themes: themes,
			Error: "Theme must be light or dark, and language one of en, fr, de.",
		})
		return
	}
	if err := sess.Update(map[string]any{keyTheme: theme, keyLang: lang, keyRemember: remember}); err != nil {
		s.serverError(w, r, "save preferences", err)
		return
	}
	// "Remember me" keeps the cookie for the configured age; otherwise it
	// lasts until the browser closes.
	switch {
	case remember && s.cfg.ExpireAtBrowserClose:
		// The site-wide default is browser-close; remembering needs an
		// explicit idle expiry.
		age := s.cfg.CookieAge
		if age == 0 {
			age = sessions.DefaultCookieAge
		}
		sess.SetExpiry(age)
	case remember:
		sess.ResetExpiry()
	default:
		sess.SetExpireAtBrowserClose()
	}
	sess.AddFlash("Preferences saved.")
	redirect(w, r, "/preferences")
}

// ---- session views ----

// sessionView is GET /api/session's body and the data of GET /session.
type sessionView struct {
	Authenticated        bool              `json:"authenticated"`
	Username             string            `json:"username"`
	Cart                 map[string]int    `json:"cart"`
	Preferences          preferencesView   `json:"preferences"`
	Signup               map[string]string `json:"signup"`
	Searches             []string          `json:"searches"`
	Orders               int               `json:"orders"`
	SessionID            string            `json:"session_id"` // shortened
	Created              time.Time         `json:"created"`
	ExpiresAt            time.Time         `json:"expires_at"`
	ExpireAtBrowserClose bool              `json:"expire_at_browser_close"`
	KeyID                string            `json:"key_id"` // key that sealed the incoming cookie; "" for a new session
	Keys                 []string          `json:"keys"`   // every key in the session, sorted
}

type preferencesView struct {
	Theme    string `json:"theme"`
	Language string `json:"language"`
	Remember bool   `json:"remember"`
}

func (s *Server) sessionView(sess *sessions.Session) sessionView {
	v := sessionView{
		Authenticated: sess.UserID() != "",
		Username:      sess.UserID(),
		Cart:          cart(sess),
		Preferences: preferencesView{
			Theme:    sessions.Get(sess, keyTheme, "light"),
			Language: sessions.Get(sess, keyLang, "en"),
			Remember: sessions.Get(sess, keyRemember, false),
		},
		Signup:               signup(sess),
		Searches:             sessions.Get(sess, keySearches, []string{}),
		Orders:               sessions.Get(sess, keyOrders, 0),
		SessionID:            shortID(sess.ID()),
		Created:              sess.Created().UTC(),
		ExpiresAt:            sess.ExpiryDate().UTC(),
		ExpireAtBrowserClose: sess.ExpireAtBrowserClose(),
		KeyID:                sess.KeyID(),
		Keys:                 sess.Keys(),
	}
	if v.Searches == nil {
		v.Searches = []string{}
	}
	return v
}

func (s *Server) sessionPage(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	s.render(w, r, http.StatusOK, "session", "My session", s.sessionView(sess))
}

func (s *Server) sessionAPI(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	s.writeJSON(w, http.StatusOK, s.sessionView(sess))
}

// ---- admin ----

type adminData struct {
	Users []string
	Error string
}

func userNames() []string {
	var names []string
	for n := range users {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// adminOnly lets admins through to h; guests go to the login page, other
// users get 403.
func (s *Server) adminOnly(h sessionHandler) sessionHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
		name := sess.UserID()
		if name == "" {
			redirect(w, r, "/login")
			return
		}
		if u, ok := lookupUser(name); !ok || !u.Admin {
			s.logger.Warn("admin route refused", "username", name, "path", r.URL.Path)
			s.fail(w, r, http.StatusForbidden, "Only administrators can do that.", "/")
			return
		}
		h(w, r, sess)
	}
}

func (s *Server) adminPage(w http.ResponseWriter, r *http.Request, _ *sessions.Session) {
	s.render(w, r, http.StatusOK, "admin", "Admin", adminData{Users: userNames()})
}

func (s *Server) adminRevokeUser(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	target := strings.TrimSpace(r.PostFormValue("username"))
	if _, ok := lookupUser(target); !ok {
		s.render(w, r, http.StatusBadRequest, "admin", "Admin", adminData{
			Users: userNames(), Error: fmt.Sprintf("There is no user %q.", truncate(target, 40)),
		})
		return
	}
	if err := s.mgr.RevokeUser(r.Context(), target); err != nil {
		s.serverError(w, r, "revoke user", err)
		return
	}
	s.logger.Info("admin revoked user", "admin", sess.UserID(), "username", target)
	if target == sess.UserID() {
		// The admin's own session is among those just revoked.
		redirect(w, r, "/")
		return
	}
	sess.AddFlash("Every session of " + target + " has been logged out.")
	redirect(w, r, "/admin")
}

// truncate shortens s for echoing it back in a message.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

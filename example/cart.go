package main

import (
	"crypto/rand"
	"net/http"
	"strconv"
	"strings"

	"github.com/sealedsessions/sealed/sessions"
)

// The cart, kept in the session until checkout: GET /cart, POST /cart/add,
// /cart/remove and /cart/checkout.

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
	id := strings.TrimSpace(r.PostFormValue("product"))
	if id == "" {
		s.cartError(w, r, sess, tr(sess, "Please choose a product."))
		return "", product{}, false
	}
	p, ok := findProduct(id)
	if !ok {
		s.cartError(w, r, sess, tr(sess, "There is no product %q in the shop.", truncate(id, 40)))
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
		s.cartError(w, r, sess, tr(sess, "Quantity must be a whole number from 1 to %d, not %q.", maxQty, truncate(qtyText, 20)))
		return
	}
	c := cart(sess)
	if c[id]+qty > maxQty {
		s.cartError(w, r, sess, tr(sess, "You can have at most %d of %s in your cart (you have %d).", maxQty, tr(sess, p.Name), c[id]))
		return
	}
	c[id] += qty
	if err := sess.Set(keyCart, c); err != nil {
		s.serverError(w, r, "save cart", err)
		return
	}
	s.saveThen(w, r, sess, tr(sess, "Added %d × %s to your cart.", qty, tr(sess, p.Name)), "/cart")
}

func (s *Server) cartRemove(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	id, p, ok := s.cartProduct(w, r, sess)
	if !ok {
		return
	}
	c := cart(sess)
	if _, in := c[id]; !in {
		s.cartError(w, r, sess, tr(sess, "%s is not in your cart.", tr(sess, p.Name)))
		return
	}
	delete(c, id)
	if len(c) == 0 {
		sess.Delete(keyCart)
	} else if err := sess.Set(keyCart, c); err != nil {
		s.serverError(w, r, "save cart", err)
		return
	}
	s.saveThen(w, r, sess, tr(sess, "Removed %s from your cart.", tr(sess, p.Name)), "/cart")
}

func (s *Server) cartCheckout(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	d := s.cartData(sess)
	if d.Count == 0 {
		s.cartError(w, r, sess, tr(sess, "Your cart is empty: add something before checking out."))
		return
	}
	order := strings.ToUpper(rand.Text()[:8])
	sess.Delete(keyCart)
	if err := sess.Set(keyOrders, d.Orders+1); err != nil {
		s.serverError(w, r, "count orders", err)
		return
	}
	// The order stands only once the emptied cart is saved.
	if s.saveThen(w, r, sess, tr(sess, "Thank you! Order %s is confirmed: %d items, %s.", order, d.Count, money(sessionLang(sess), d.Total)), "/cart") {
		s.logger.Info("order placed", "order", order, "items", d.Count, "total_cents", d.Total, "username", sess.UserID())
	}
}

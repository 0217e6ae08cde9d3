package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestCart(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	wantRedirect(t, "add tea", c.PostForm("/cart/add", url.Values{"product": {"tea"}, "qty": {"3"}}), "/cart")
	wantRedirect(t, "add mug", c.PostForm("/cart/add", url.Values{"product": {"mug"}, "qty": {"1"}}), "/cart")
	wantRedirect(t, "add tea again", c.PostForm("/cart/add", url.Values{"product": {"tea"}, "qty": {"2"}}), "/cart")
	page := c.Get("/cart")
	wantStatus(t, "GET /cart", page, http.StatusOK)
	wantBody(t, "GET /cart", page, "Added 2 × Green tea to your cart.", "Green tea", "Stoneware mug",
		`id="cart-total">€57.00<`, `id="cart-count">6<`)
	if got := apiSession(t, c).Cart; got["tea"] != 5 || got["mug"] != 1 || len(got) != 2 {
		t.Errorf("cart %v, want tea:5 mug:1", got)
	}
	if got := greeting(t, c); got != "Hello, Guest" {
		t.Errorf("greeting %q", got)
	}
	wantBody(t, "home", c.Get("/"), `id="home-cart-count">6<`)

	bad := []struct {
		name string
		form url.Values
		want string
	}{
		{"zero", url.Values{"product": {"tea"}, "qty": {"0"}}, "Quantity must be a whole number from 1 to 99"},
		{"negative", url.Values{"product": {"tea"}, "qty": {"-2"}}, "Quantity must be a whole number"},
		{"not a number", url.Values{"product": {"tea"}, "qty": {"lots"}}, "Quantity must be a whole number"},
		{"fraction", url.Values{"product": {"tea"}, "qty": {"1.5"}}, "Quantity must be a whole number"},
		{"too many", url.Values{"product": {"tea"}, "qty": {"100"}}, "Quantity must be a whole number"},
		{"over the cap in total", url.Values{"product": {"tea"}, "qty": {"95"}}, "at most 99 of Green tea"},
		{"huge", url.Values{"product": {"tea"}, "qty": {"99999999999999999999999"}}, "Quantity must be a whole number"},
		{"unknown product", url.Values{"product": {"caviar"}, "qty": {"1"}}, "There is no product &#34;caviar&#34; in the shop."},
		{"no product", url.Values{"qty": {"1"}}, `id="cart-error">Please choose a product.<`},
		{"blank product", url.Values{"product": {" "}, "qty": {"1"}}, `id="cart-error">Please choose a product.<`},
		{"markup", url.Values{"product": {"<script>"}, "qty": {"1"}}, "There is no product &#34;&lt;script&gt;&#34; in the shop."},
	}
	for _, tt := range bad {
		t.Run("add "+tt.name, func(t *testing.T) {
			resp := c.PostForm("/cart/add", tt.form)
			wantStatus(t, "POST /cart/add", resp, http.StatusBadRequest)
			wantBody(t, "POST /cart/add", resp, tt.want)
		})
	}
	if got := apiSession(t, c).Cart; got["tea"] != 5 || got["mug"] != 1 {
		t.Errorf("cart changed by refused adds: %v", got)
	}
}

func TestCartRemoveAndCheckout(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	wantRedirect(t, "add tea", c.PostForm("/cart/add", url.Values{"product": {"tea"}, "qty": {"5"}}), "/cart")
	wantRedirect(t, "add mug", c.PostForm("/cart/add", url.Values{"product": {"mug"}}), "/cart")

	resp := c.PostForm("/cart/remove", url.Values{"product": {"kettle"}})
	wantStatus(t, "remove what is not in the cart", resp, http.StatusBadRequest)
	wantBody(t, "remove kettle", resp, "Gooseneck kettle is not in your cart.")
	wantStatus(t, "remove unknown", c.PostForm("/cart/remove", url.Values{"product": {"caviar"}}), http.StatusBadRequest)
	wantRedirect(t, "remove mug", c.PostForm("/cart/remove", url.Values{"product": {"mug"}}), "/cart")
	if got := apiSession(t, c).Cart; got["mug"] != 0 || got["tea"] != 5 {
		t.Errorf("cart after removing mug: %v", got)
	}

	wantRedirect(t, "checkout", c.PostForm("/cart/checkout", nil), "/cart")
	page := c.Get("/cart")
	if !regexp.MustCompile(`Thank you! Order [A-Z0-9]{8} is confirmed: 5 items, €45.00.`).MatchString(page.Body) {
		t.Errorf("no order confirmation after checkout:\n%s", page.Body)
	}
	wantBody(t, "cart after checkout", page, `id="cart-empty"`)
	// The flash is shown once.
	if strings.Contains(c.Get("/cart").Body, "Thank you!") {
		t.Error("order confirmation shown twice")
	}
	if got := apiSession(t, c); len(got.Cart) != 0 || got.Orders != 1 {
		t.Errorf("after checkout cart %v orders %d, want empty and 1", got.Cart, got.Orders)
	}
	resp = c.PostForm("/cart/checkout", nil)
	wantStatus(t, "checkout an empty cart", resp, http.StatusBadRequest)
	wantBody(t, "empty checkout", resp, "Your cart is empty")
}

func TestCartSurvivesLogin(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	wantRedirect(t, "add", c.PostForm("/cart/add", url.Values{"product": {"beans"}}), "/cart")
	login(t, c, "alice", "alice-password")
	if got := apiSession(t, c).Cart; got["beans"] != 1 {
		t.Errorf("cart after login %v, want beans:1 (qty defaults to 1)", got)
	}
}

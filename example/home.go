package main

import (
	"net/http"
)

// GET /: the greeting and the shop.

type homeData struct {
	Products []product
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "home", "Home", homeData{Products: catalogue})
}

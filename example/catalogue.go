package main

import (
	"slices"
	"strings"
)

// product is an item of the built-in catalogue.
type product struct {
	ID          string
	Name        string
	Description string
	PriceCents  int
}

// catalogue is the shop's stock, sorted by ID.
var catalogue = []product{
	{ID: "beans", Name: "Coffee beans", Description: "1 kg of single-origin arabica, medium roast.", PriceCents: 2400},
	{ID: "grinder", Name: "Hand grinder", Description: "Burr grinder with 30 settings, steel body.", PriceCents: 5900},
	{ID: "kettle", Name: "Gooseneck kettle", Description: "0.9 l kettle with a thermometer in the lid.", PriceCents: 4500},
	{ID: "mug", Name: "Stoneware mug", Description: "350 ml mug, glazed by hand, dishwasher safe.", PriceCents: 1200},
	{ID: "scale", Name: "Coffee scale", Description: "0.1 g resolution with a built-in timer.", PriceCents: 3200},
	{ID: "tea", Name: "Green tea", Description: "100 g of sencha, loose leaf, first flush.", PriceCents: 900},
}

// findProduct returns the product with the given ID.
func findProduct(id string) (product, bool) {
	i, ok := slices.BinarySearchFunc(catalogue, id, func(p product, id string) int { return strings.Compare(p.ID, id) })
	if !ok {
		return product{}, false
	}
	return catalogue[i], true
}

// searchCatalogue returns the products whose name or description contains
// q, ignoring case.
func searchCatalogue(q string) []product {
	q = strings.ToLower(q)
	var out []product
	for _, p := range catalogue {
		if strings.Contains(strings.ToLower(p.Name), q) || strings.Contains(strings.ToLower(p.Description), q) || p.ID == q {
			out = append(out, p)
		}
	}
	return out
}

// Limits on what the cart accepts.
const (
	maxQty        = 99 // per product, per add and in total
	maxSearchLen  = 100
	recentSearchN = 5
	// recentSearchBytes bounds the search history's size in the cookie:
	// five searches of 100 ASCII characters fit, five of 100 four-byte
	// characters do not.
	recentSearchBytes = 500
)

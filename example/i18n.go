package main

import (
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"

	"github.com/sealedsessions/sealed/sessions"
)

// languages are the interface languages, in the order the preferences form
// lists them, each named in itself.
var languages = []struct {
	Code, Name string
	Tag        language.Tag
}{
	{"en", "English", language.English},
	{"fr", "Français", language.French},
	{"de", "Deutsch", language.German},
}

var themes = []string{"light", "dark"}

// printers holds a message printer per interface language, on the
// catalogue built from translations (translations.go). A message's key is
// its English text; a key missing from the catalogue prints as itself.
var printers = func() map[string]*message.Printer {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	for _, t := range translations {
		for _, l := range languages {
			if err := b.SetString(l.Tag, t.en, t.in(l.Code)); err != nil {
				panic(err) // SetString fails only on a malformed tag
			}
		}
	}
	m := make(map[string]*message.Printer, len(languages))
	for _, l := range languages {
		m[l.Code] = message.NewPrinter(l.Tag, message.Catalog(b))
	}
	return m
}()

// translate formats the message key with args in lang (English when lang is
// not an interface language).
func translate(lang, key string, args ...any) string {
	p, ok := printers[lang]
	if !ok {
		p = printers["en"]
	}
	return p.Sprintf(key, args...)
}

// sessionLang is the session's interface language.
func sessionLang(sess *sessions.Session) string {
	l := sessions.Get(sess, keyLang, "en")
	if !validLanguage(l) {
		return "en"
	}
	return l
}

// tr translates the message key with args into the session's language: for
// flash messages and form errors, which are made before the page.
func tr(sess *sessions.Session, key string, args ...any) string {
	return translate(sessionLang(sess), key, args...)
}

// money formats cents as euros the way lang writes them.
func money(lang string, cents int) string {
	return translate(lang, "€%d.%02d", cents/100, cents%100)
}

func validLanguage(code string) bool {
	for _, l := range languages {
		if l.Code == code {
			return true
		}
	}
	return false
}

func validTheme(t string) bool { return t == "light" || t == "dark" }

package main

// languages are the interface languages, in the order the preferences form
// lists them.
var languages = []struct{ Code, Name string }{
	{"en", "English"},
	{"fr", "Français"},
	{"de", "Deutsch"},
}

var themes = []string{"light", "dark"}

// messages holds the few translated strings: greeting and navigation.
// English is the fallback for anything missing.
var messages = map[string]map[string]string{
	"en": {
		"hello": "Hello", "guest": "Guest", "home": "Home", "shop": "Shop", "cart": "Cart",
		"signup": "Sign up", "search": "Search", "preferences": "Preferences",
		"session": "My session", "login": "Log in", "logout": "Log out",
		"logout_everywhere": "Log out everywhere", "admin": "Admin", "items": "items in your cart",
	},
	"fr": {
		"hello": "Bonjour", "guest": "invité", "home": "Accueil", "shop": "Boutique", "cart": "Panier",
		"signup": "Inscription", "search": "Recherche", "preferences": "Préférences",
		"session": "Ma session", "login": "Connexion", "logout": "Déconnexion",
		"logout_everywhere": "Déconnexion partout", "admin": "Admin", "items": "articles dans votre panier",
	},
	"de": {
		"hello": "Hallo", "guest": "Gast", "home": "Start", "shop": "Laden", "cart": "Warenkorb",
		"signup": "Registrieren", "search": "Suche", "preferences": "Einstellungen",
		"session": "Meine Sitzung", "login": "Anmelden", "logout": "Abmelden",
		"logout_everywhere": "Überall abmelden", "admin": "Admin", "items": "Artikel im Warenkorb",
	},
}

// translate returns the string for key in lang, falling back to English and
// then to the key itself.
func translate(lang, key string) string {
	if s, ok := messages[lang][key]; ok {
		return s
	}
	if s, ok := messages["en"][key]; ok {
		return s
	}
	return key
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

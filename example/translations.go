package main

// translations is the site's message catalogue: every string a visitor can
// see, keyed by its English text, with its French and German. i18n.go loads
// it into golang.org/x/text/message; TestTranslations checks that each entry
// has every language and the same verbs in each, and
// TestNoEnglishLeftOnPages that a page in fr or de shows no English entry.
var translations = []translation{
	// Layout and navigation.
	{"Menu", "Menu", "Menü"},
	{"Main", "Principale", "Hauptmenü"},
	{"Home", "Accueil", "Start"},
	{"Search", "Recherche", "Suche"},
	{"Cart", "Panier", "Warenkorb"},
	{"Sign up", "Inscription", "Registrieren"},
	{"Preferences", "Préférences", "Einstellungen"},
	{"My session", "Ma session", "Meine Sitzung"},
	{"Admin", "Administration", "Verwaltung"},
	{"Your devices", "Vos appareils", "Ihre Geräte"},
	{"Log in", "Connexion", "Anmelden"},
	{"Log out", "Déconnexion", "Abmelden"},
	{"Log out everywhere", "Déconnexion partout", "Überall abmelden"},
	{"Sessions live in a sealed cookie; logging out revokes them on the server.",
		"Les sessions vivent dans un cookie scellé ; la déconnexion les révoque sur le serveur.",
		"Sitzungen stecken in einem versiegelten Cookie; beim Abmelden widerruft sie der Server."},
	{"€%d.%02d", "%d,%02d €", "%d,%02d €"},

	// Where you're signed in.
	{"Where you're signed in", "Où vous êtes connecté", "Wo Sie angemeldet sind"},
	{"Device", "Appareil", "Gerät"},
	{"Signed in", "Connexion", "Angemeldet"},
	{"This device", "Cet appareil", "Dieses Gerät"},
	{"Sign out", "Déconnecter", "Abmelden"},
	{"Sign out all other devices", "Déconnecter tous les autres appareils", "Alle anderen Geräte abmelden"},
	{"That is not one of your sessions.", "Ce n’est pas une de vos sessions.", "Das ist keine Ihrer Sitzungen."},
	{"device bound", "lié à l’appareil", "gerätegebunden"},
	{"Only its device can renew this session", "Seul son appareil peut renouveler cette session", "Nur ihr Gerät kann diese Sitzung erneuern"},

	// Home.
	{"Hello", "Bonjour", "Hallo"},
	{"Guest", "invité", "Gast"},
	{"items in your cart", "articles dans votre panier", "Artikel im Warenkorb"},
	{"Demo users:", "Comptes de démonstration :", "Demo-Konten:"},
	{"administrator", "administratrice", "Administratorin"},
	{"Shop", "Boutique", "Laden"},
	{"Everything on this site", "Tout ce que fait ce site", "Alles auf dieser Seite"},
	{"log out, and log out everywhere", "déconnexion, et déconnexion partout", "abmelden, auch überall zugleich"},
	{"The cart", "Le panier", "Der Warenkorb"},
	{"kept in the session until checkout", "gardé dans la session jusqu’à la commande", "bis zur Bestellung in der Sitzung"},
	{"A three-step sign-up form", "Une inscription en trois étapes", "Eine Registrierung in drei Schritten"},
	{"it remembers earlier steps", "elle retient les étapes précédentes", "sie merkt sich frühere Schritte"},
	{"with your last five searches", "avec vos cinq dernières recherches", "mit Ihren letzten fünf Suchen"},
	{"theme, language and “remember me”", "thème, langue et « se souvenir de moi »", "Farbschema, Sprache und „angemeldet bleiben“"},
	{"what is in it", "ce qu’elle contient", "was darin steht"},
	{"log a user out everywhere", "déconnecter un utilisateur partout", "einen Benutzer überall abmelden"},
	{"Health", "État", "Zustand"},
	{"Metrics", "Mesures", "Messwerte"},

	// The shop's products.
	{"Coffee beans", "Café en grains", "Kaffeebohnen"},
	{"1 kg of single-origin arabica, medium roast.", "1 kg d’arabica d’origine unique, torréfaction moyenne.", "1 kg Arabica aus einer Herkunft, mittlere Röstung."},
	{"Hand grinder", "Moulin à main", "Handmühle"},
	{"Burr grinder with 30 settings, steel body.", "Moulin à meules, 30 réglages, corps en acier.", "Kegelmahlwerk mit 30 Stufen, Stahlgehäuse."},
	{"Gooseneck kettle", "Bouilloire col de cygne", "Schwanenhals-Kessel"},
	{"0.9 l kettle with a thermometer in the lid.", "Bouilloire de 0,9 l, thermomètre dans le couvercle.", "0,9-l-Kessel mit Thermometer im Deckel."},
	{"Stoneware mug", "Tasse en grès", "Steinzeugbecher"},
	{"350 ml mug, glazed by hand, dishwasher safe.", "Tasse de 350 ml émaillée à la main, va au lave-vaisselle.", "350-ml-Becher, von Hand glasiert, spülmaschinenfest."},
	{"Coffee scale", "Balance à café", "Kaffeewaage"},
	{"0.1 g resolution with a built-in timer.", "Précision de 0,1 g, minuteur intégré.", "Auflösung 0,1 g, mit eingebautem Timer."},
	{"Green tea", "Thé vert", "Grüner Tee"},
	{"100 g of sencha, loose leaf, first flush.", "100 g de sencha en vrac, première récolte.", "100 g Sencha, lose, erste Pflückung."},

	// Cart.
	{"Product", "Produit", "Produkt"},
	{"Qty", "Qté", "Menge"},
	{"Quantity", "Quantité", "Anzahl"},
	{"Price", "Prix", "Preis"},
	{"Total", "Total", "Summe"},
	{"Remove", "Retirer", "Entfernen"},
	{"Check out", "Commander", "Bestellen"},
	{"Your cart is empty.", "Votre panier est vide.", "Ihr Warenkorb ist leer."},
	{"Add something", "Ajouter un article", "Etwas hinzufügen"},
	{"Add to cart", "Ajouter au panier", "In den Warenkorb"},
	{"Orders placed in this session: %d", "Commandes passées dans cette session : %d", "Bestellungen in dieser Sitzung: %d"},
	{"Please choose a product.", "Veuillez choisir un produit.", "Bitte wählen Sie ein Produkt."},
	{"There is no product %q in the shop.", "La boutique n’a pas de produit %q.", "Im Laden gibt es kein Produkt %q."},
	{"Quantity must be a whole number from 1 to %d, not %q.", "La quantité doit être un nombre entier de 1 à %d, pas %q.", "Die Anzahl muss eine ganze Zahl von 1 bis %d sein, nicht %q."},
	{"You can have at most %d of %s in your cart (you have %d).", "Votre panier peut contenir au plus %d × %s (vous en avez %d).", "Ihr Warenkorb fasst höchstens %d × %s (Sie haben %d)."},
	{"Added %d × %s to your cart.", "%d × %s ajouté à votre panier.", "%d × %s in den Warenkorb gelegt."},
	{"%s is not in your cart.", "%s n’est pas dans votre panier.", "%s ist nicht in Ihrem Warenkorb."},
	{"Removed %s from your cart.", "%s retiré de votre panier.", "%s aus dem Warenkorb entfernt."},
	{"Your cart is empty: add something before checking out.", "Votre panier est vide : ajoutez un article avant de commander.", "Ihr Warenkorb ist leer: Legen Sie vor dem Bestellen etwas hinein."},
	{"Thank you! Order %s is confirmed: %d items, %s.", "Merci ! La commande %s est confirmée : %d articles, %s.", "Danke! Bestellung %s ist bestätigt: %d Artikel, %s."},

	// Log in.
	{"Username", "Nom d’utilisateur", "Benutzername"},
	{"Password", "Mot de passe", "Passwort"},
	{"Wrong username or password.", "Nom d’utilisateur ou mot de passe incorrect.", "Benutzername oder Passwort falsch."},
	{"Welcome back, %s.", "Bon retour, %s.", "Willkommen zurück, %s."},

	// Sign-up.
	{"You", "Vous", "Sie"},
	{"Plan", "Formule", "Tarif"},
	{"Confirm", "Confirmation", "Bestätigen"},
	{"Name", "Nom", "Name"},
	{"E-mail", "Courriel", "E-Mail"},
	{"Next", "Suivant", "Weiter"},
	{"Back", "Retour", "Zurück"},
	{"Choose a plan", "Choisissez une formule", "Wählen Sie einen Tarif"},
	{"Free", "Gratuite", "Kostenlos"},
	{"One user, community support.", "Un utilisateur, entraide de la communauté.", "Ein Benutzer, Hilfe aus der Community."},
	{"Pro", "Pro", "Pro"},
	{"Five users, e-mail support, €9 a month.", "Cinq utilisateurs, assistance par courriel, 9 € par mois.", "Fünf Benutzer, Hilfe per E-Mail, 9 € im Monat."},
	{"Team", "Équipe", "Team"},
	{"Unlimited users, phone support, €29 a month.", "Utilisateurs illimités, assistance par téléphone, 29 € par mois.", "Beliebig viele Benutzer, Hilfe per Telefon, 29 € im Monat."},
	{"These details are right; sign me up.", "Ces informations sont exactes ; inscrivez-moi.", "Die Angaben stimmen; bitte registrieren."},
	{"Please enter your name.", "Veuillez saisir votre nom.", "Bitte geben Sie Ihren Namen ein."},
	{"Your name must be at most 100 characters.", "Votre nom doit faire au plus 100 caractères.", "Ihr Name darf höchstens 100 Zeichen lang sein."},
	{"Please enter an e-mail address like name@example.com.", "Veuillez saisir une adresse comme nom@example.com.", "Bitte geben Sie eine Adresse wie name@example.com ein."},
	{"Please choose one of the plans.", "Veuillez choisir une des formules.", "Bitte wählen Sie einen der Tarife."},
	{"Anything we should know?", "Quelque chose à nous dire ?", "Möchten Sie uns noch etwas mitteilen?"},
	{"(optional, up to 2,400 characters)", "(facultatif, jusqu’à 2 400 caractères)", "(optional, bis zu 2.400 Zeichen)"},
	{"Notes", "Remarques", "Anmerkungen"},
	{msgNotesTooLong, "Vos remarques doivent faire au plus 2 400 octets : environ 2 400 lettres, moins avec des accents ou dans d’autres écritures.", "Ihre Anmerkungen dürfen höchstens 2.400 Bytes lang sein: etwa 2.400 Buchstaben, weniger mit Umlauten oder in anderen Schriften."},
	{"Please tick the box to confirm.", "Veuillez cocher la case pour confirmer.", "Bitte setzen Sie zur Bestätigung das Häkchen."},
	{"Signed up", "Inscrit", "Registriert"},
	{"Welcome aboard, %s!", "Bienvenue à bord, %s !", "Willkommen an Bord, %s!"},
	{"You are signed up for the %s plan. We will write to %s.", "Vous êtes inscrit à la formule %s. Nous écrirons à %s.", "Sie sind für den Tarif %s registriert. Wir schreiben an %s."},
	{"Change my answers", "Modifier mes réponses", "Antworten ändern"},
	{"Start over", "Recommencer", "Neu beginnen"},

	// Search.
	{"Search the shop", "Chercher dans la boutique", "Im Laden suchen"},
	{"coffee, tea, kettle…", "café, thé, bouilloire…", "Kaffee, Tee, Kessel…"},
	{"Results for “%s”", "Résultats pour « %s »", "Ergebnisse für „%s“"},
	{"Nothing matches “%s”.", "Rien ne correspond à « %s ».", "Nichts passt zu „%s“."},
	{"Your recent searches", "Vos recherches récentes", "Ihre letzten Suchen"},
	{"None yet.", "Aucune pour l’instant.", "Noch keine."},
	{"Searches are limited to %d characters.", "Une recherche fait au plus %d caractères.", "Eine Suche hat höchstens %d Zeichen."},

	// Preferences.
	{"Theme", "Thème", "Farbschema"},
	{"light", "clair", "hell"},
	{"dark", "sombre", "dunkel"},
	{"Language", "Langue", "Sprache"},
	{"Remember me on this browser (otherwise the session ends when the browser closes)",
		"Se souvenir de moi sur ce navigateur (sinon la session prend fin à la fermeture du navigateur)",
		"Auf diesem Browser angemeldet bleiben (sonst endet die Sitzung, wenn der Browser schließt)"},
	{"Save", "Enregistrer", "Speichern"},
	{"Preferences saved.", "Préférences enregistrées.", "Einstellungen gespeichert."},

	// Device binding (DBSC) on the session page.
	{"Device bound", "Liée à l’appareil", "An das Gerät gebunden"},
	{"yes: only this device can renew it", "oui : seul cet appareil peut la renouveler", "ja: nur dieses Gerät kann sie erneuern"},
	{"no", "non", "nein"},

	// Abuse limits.
	{"Too many failed logins.", "Trop d’échecs de connexion.", "Zu viele fehlgeschlagene Anmeldungen."},
	{"Too many sessions ended from your network. %s", "Trop de sessions fermées depuis votre réseau. %s", "Zu viele beendete Sitzungen aus Ihrem Netz. %s"},
	{"Try again in %d minutes.", "Réessayez dans %d minutes.", "Versuchen Sie es in %d Minuten erneut."},
	{"Try again in 1 second.", "Réessayez dans 1 seconde.", "Versuchen Sie es in 1 Sekunde erneut."},
	{"Try again in %d seconds.", "Réessayez dans %d secondes.", "Versuchen Sie es in %d Sekunden erneut."},

	// A change that could not be saved.
	{"Your session was ended in another window while this change was on its way, so it was not saved. Please try again.",
		"Votre session a été fermée dans une autre fenêtre pendant l’envoi de cette modification : elle n’a pas été enregistrée. Veuillez réessayer.",
		"Ihre Sitzung wurde in einem anderen Fenster beendet, während diese Änderung unterwegs war; sie wurde nicht gespeichert. Bitte versuchen Sie es erneut."},
	{"Your session is full, so this change was not saved. Remove something (or check out) and try again.",
		"Votre session est pleine : cette modification n’a pas été enregistrée. Retirez un article (ou passez commande) et réessayez.",
		"Ihre Sitzung ist voll, daher wurde diese Änderung nicht gespeichert. Entfernen Sie etwas (oder bestellen Sie) und versuchen Sie es erneut."},
	{"Your change could not be saved. Please try again.",
		"Votre modification n’a pas pu être enregistrée. Veuillez réessayer.",
		"Ihre Änderung konnte nicht gespeichert werden. Bitte versuchen Sie es erneut."},
	{"The theme must be light or dark, not %q.", "Le thème doit être clair ou sombre, pas %q.", "Das Farbschema muss hell oder dunkel sein, nicht %q."},
	{"The language must be English, Français or Deutsch, not %q.", "La langue doit être English, Français ou Deutsch, pas %q.", "Die Sprache muss English, Français oder Deutsch sein, nicht %q."},

	// My session.
	{"Signed in as", "Connecté en tant que", "Angemeldet als"},
	{"nobody (guest)", "personne (invité)", "niemand (Gast)"},
	{"Session ID", "Identifiant de session", "Sitzungskennung"},
	{"(none yet: a session gets its ID when it is first saved)", "(pas encore : une session reçoit son identifiant quand elle est enregistrée)", "(noch keine: eine Sitzung erhält ihre Kennung beim ersten Speichern)"},
	{"Created", "Créée", "Erstellt"},
	{"Expires", "Expire", "Läuft ab"},
	{"or when the browser closes", "ou à la fermeture du navigateur", "oder wenn der Browser schließt"},
	{"Sealed with key", "Scellée avec la clé", "Versiegelt mit Schlüssel"},
	{"(new session, not sealed yet)", "(nouvelle session, pas encore scellée)", "(neue Sitzung, noch nicht versiegelt)"},
	{"Theme / language", "Thème / langue", "Farbschema / Sprache"},
	{"remembered", "mémorisé", "gemerkt"},
	{"empty", "vide", "leer"},
	{"Sign-up answers", "Réponses d’inscription", "Antworten der Registrierung"},
	{"Recent searches", "Recherches récentes", "Letzte Suchen"},
	{"Keys stored", "Clés enregistrées", "Gespeicherte Schlüssel"},
	{"none", "aucune", "keine"},
	{"The same as JSON:", "La même chose en JSON :", "Dasselbe als JSON:"},

	// Admin.
	{"Log a user out of every browser at once. Their sessions stop working on the next request, even copies of the cookie.",
		"Déconnecter un utilisateur de tous ses navigateurs à la fois. Ses sessions cessent de fonctionner à la requête suivante, même les copies du cookie.",
		"Einen Benutzer in allen Browsern zugleich abmelden. Seine Sitzungen enden mit der nächsten Anfrage, auch Kopien des Cookies."},
	{"User", "Utilisateur", "Benutzer"},
	{"Please choose a user to log out.", "Veuillez choisir l’utilisateur à déconnecter.", "Bitte wählen Sie den Benutzer, der abgemeldet werden soll."},
	{"There is no user %q.", "Il n’y a pas d’utilisateur %q.", "Es gibt keinen Benutzer %q."},
	{"Every session of %s has been logged out.", "Toutes les sessions de %s ont été déconnectées.", "Alle Sitzungen von %s sind abgemeldet."},
	{"Only administrators can do that.", "Seuls les administrateurs peuvent faire cela.", "Das dürfen nur Administratoren."},

	// Error pages: http.StatusText of every status the site renders, then
	// the messages.
	{"Bad Request", "Requête incorrecte", "Ungültige Anfrage"},
	{"Forbidden", "Interdit", "Verboten"},
	{"Not Found", "Introuvable", "Nicht gefunden"},
	{"Method Not Allowed", "Méthode non autorisée", "Methode nicht erlaubt"},
	{"Too Many Requests", "Trop de requêtes", "Zu viele Anfragen"},
	{"Internal Server Error", "Erreur interne du serveur", "Interner Serverfehler"},
	{"Service Unavailable", "Service indisponible", "Dienst nicht verfügbar"},
	{"Go back", "Revenir", "Zurück zum Start"},
	{"There is no page at %s.", "Il n’y a pas de page à l’adresse %s.", "Unter %s gibt es keine Seite."},
	{"%s does not take %s requests, only %s.", "%s n’accepte pas les requêtes %s, seulement %s.", "%s nimmt keine %s-Anfragen an, nur %s."},
	{"The form could not be read.", "Le formulaire est illisible.", "Das Formular ließ sich nicht lesen."},
	{"Something went wrong on our side. Please try again.", "Un problème est survenu de notre côté. Veuillez réessayer.", "Bei uns ist etwas schiefgegangen. Bitte versuchen Sie es noch einmal."},
	{"We could not record that just now: the server is short of disk space. Nothing was changed; please try again in a moment.",
		"Impossible de l’enregistrer pour l’instant : le serveur manque d’espace disque. Rien n’a été modifié ; veuillez réessayer dans un instant.",
		"Das ließ sich gerade nicht speichern: Dem Server fehlt Speicherplatz. Nichts wurde geändert; bitte versuchen Sie es gleich noch einmal."},
}

// translation is one message: its English text (the key), French and
// German.
type translation struct{ en, fr, de string }

// in returns the message in lang.
func (t translation) in(lang string) string {
	switch lang {
	case "fr":
		return t.fr
	case "de":
		return t.de
	}
	return t.en
}

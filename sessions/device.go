package sessions

import (
	"net/http"
	"strings"
)

// A tiny User-Agent reader for Config.Device's default: the few major
// browsers and systems, by the tokens they have sent for years. A
// dependency (a full parser) would weigh on every user of the library for
// one line of a settings page; an app that wants more sets Config.Device.

// uaRule maps a User-Agent token to a name; the first matching rule of a
// list wins, so more specific tokens come first (Edge and Opera say
// Chrome too, Chrome says Safari, Android says Linux, iOS says Mac OS X).
type uaRule struct{ token, name string }

var uaBrowsers = []uaRule{
	{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"},
	{"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
	{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
	{"CriOS/", "Chrome"}, {"Chrome/", "Chrome"}, {"Chromium/", "Chromium"},
	{"Safari/", "Safari"}, {"curl/", "curl"},
}

var uaSystems = []uaRule{
	{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"},
	{"CrOS", "ChromeOS"}, {"Windows", "Windows"}, {"Mac OS X", "macOS"},
	{"Macintosh", "macOS"}, {"Linux", "Linux"},
}

func uaMatch(ua string, rules []uaRule) string {
	for _, r := range rules {
		if strings.Contains(ua, r.token) {
			return r.name
		}
	}
	return ""
}

// UserAgentDevice describes r's device from its User-Agent header as
// "browser on system" ("Firefox on Linux", "Safari on iOS"), either part
// alone when the other is unknown, or "Unknown device".
func UserAgentDevice(r *http.Request) string {
	ua := r.Header.Get("User-Agent")
	browser, system := uaMatch(ua, uaBrowsers), uaMatch(ua, uaSystems)
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return system
	}
	return "Unknown device"
}

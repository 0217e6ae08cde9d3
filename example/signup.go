package main

import (
	"fmt"
	"maps"
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

// The three-step sign-up form whose answers live in the session:
// GET and POST /signup/{1,2,3}, GET /signup/done, POST /signup/reset.

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
	s.render(w, r, status, "signup", "Sign up", signupData{
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
	typed := maps.Clone(saved)
	errs, next := s.signupFields(r, step, typed)
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
	s.saveThen(w, r, sess, "", next)
}

// signupFields reads and checks one step's fields into typed. It returns a
// message per field in error (none when the step is answered) and the page
// that follows the step.
func (s *Server) signupFields(r *http.Request, step int, typed map[string]string) (errs map[string]string, next string) {
	errs = map[string]string{} // message keys, translated as the page renders
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
		return errs, "/signup/2"
	case 2:
		plan := r.PostFormValue("plan")
		typed["plan"] = plan
		if !validPlan(plan) {
			errs["plan"] = "Please choose one of the plans."
			typed["plan"] = ""
		}
		return errs, "/signup/3"
	}
	confirm := r.PostFormValue("confirm")
	if confirm != "on" && confirm != "yes" {
		errs["confirm"] = "Please tick the box to confirm."
	} else {
		typed["confirm"] = "yes"
		typed["done"] = s.now().UTC().Format(time.RFC3339)
	}
	return errs, "/signup/done"
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

package admin

import (
	"net/http"
	"strings"

	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

type usersData struct {
	Users   []store.User
	Roles   []auth.Role
	Me      string
	Error   string
	Section string // "add" or a user name
	Form    struct{ Name, Role string }
	Min     int
}

func (a *Admin) usersPage(w http.ResponseWriter, r *http.Request, s *session, code int, d usersData) error {
	users, err := a.Auth.Users(r.Context())
	if err != nil {
		return err
	}
	d.Users, d.Roles, d.Me, d.Min = users, auth.Roles, s.User.Name, auth.MinPassword
	if d.Form.Role == "" {
		d.Form.Role = string(auth.Viewer)
	}
	a.render(w, r, s, code, "users", "Users", "users", d)
	return nil
}

func (a *Admin) users(w http.ResponseWriter, r *http.Request, s *session) error {
	return a.usersPage(w, r, s, http.StatusOK, usersData{})
}

// userAgain shows the users screen with a client mistake beside its form.
func (a *Admin) userAgain(w http.ResponseWriter, r *http.Request, s *session, d usersData, err error) error {
	msg, ok := mistake(err, http.StatusUnprocessableEntity, http.StatusConflict, http.StatusNotFound)
	if !ok {
		return err
	}
	d.Error = msg
	return a.usersPage(w, r, s, http.StatusUnprocessableEntity, d)
}

func (a *Admin) userAdd(w http.ResponseWriter, r *http.Request, s *session) error {
	f, err := form(r, []string{"name", "role", "password"})
	if err != nil {
		return err
	}
	d := usersData{Section: "add"}
	d.Form.Name, d.Form.Role = strings.TrimSpace(f.Get("name")), f.Get("role")
	role, err := auth.ParseRole(d.Form.Role)
	if err != nil {
		return a.userAgain(w, r, s, d, err)
	}
	if _, err := a.Auth.AddUser(r.Context(), s.Actor, d.Form.Name, role, f.Get("password")); err != nil {
		return a.userAgain(w, r, s, d, err)
	}
	return done(w, r, "/admin/users", "user")
}

func (a *Admin) userRole(w http.ResponseWriter, r *http.Request, s *session) error {
	f, err := form(r, []string{"role"})
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	d := usersData{Section: name}
	role, err := auth.ParseRole(f.Get("role"))
	if err == nil {
		err = a.Auth.SetRole(r.Context(), s.Actor, name, role)
	}
	if err != nil {
		return a.userAgain(w, r, s, d, err)
	}
	return done(w, r, "/admin/users", "role")
}

func (a *Admin) userDisable(w http.ResponseWriter, r *http.Request, s *session) error {
	if _, err := form(r, nil); err != nil {
		return err
	}
	name := r.PathValue("name")
	if name == s.User.Name {
		return a.userAgain(w, r, s, usersData{Section: name}, &service.InvalidError{Msg: "You cannot disable your own account; ask another admin."})
	}
	if err := a.Auth.Disable(r.Context(), s.Actor, name); err != nil {
		return a.userAgain(w, r, s, usersData{Section: name}, err)
	}
	return done(w, r, "/admin/users", "disabled")
}

func (a *Admin) userEnable(w http.ResponseWriter, r *http.Request, s *session) error {
	if _, err := form(r, nil); err != nil {
		return err
	}
	name := r.PathValue("name")
	if err := a.Auth.Enable(r.Context(), s.Actor, name); err != nil {
		return a.userAgain(w, r, s, usersData{Section: name}, err)
	}
	return done(w, r, "/admin/users", "enabled")
}

func (a *Admin) userPassword(w http.ResponseWriter, r *http.Request, s *session) error {
	f, err := form(r, []string{"password"})
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	if err := a.Auth.SetPassword(r.Context(), s.Actor, name, f.Get("password")); err != nil {
		return a.userAgain(w, r, s, usersData{Section: name}, err)
	}
	if name == s.User.Name {
		// Their own sessions ended with the new password, this one included.
		setSessionCookie(w, r, "", -1)
		return done(w, r, "/admin/login", "ownpassword")
	}
	return done(w, r, "/admin/users", "password")
}

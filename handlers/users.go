package handlers

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// usersPage is the data of the accounts page.
type usersPage struct {
	Users []*db.User
	Form  *views.Form // adding an account
	Roles []string
	Me    int64 // the signed-in organiser's account
}

// passwordPage shows a generated password, once.
type passwordPage struct {
	User     *db.User
	Password string
	New      bool // a new account, not a new password
}

// userFields are the add form's fields, in order.
var userFields = []string{"email", "role"}

// userForm is the add form as validated. The password is generated.
type userForm struct {
	Email string `form:"email" validate:"required,max=254,email"`
	Role  string `form:"role" validate:"oneof=admin moderator host"`
}

func newUserForm() *views.Form {
	return &views.Form{Action: "/admin/users", Order: userFields, Values: map[string]string{"role": db.RoleHost},
		Errors: map[string]string{}, Keys: "users."}
}

// listUsers shows the accounts and the form to add one.
func (s *Server) listUsers(c echo.Context) error {
	return s.renderUsers(c, http.StatusOK, newUserForm())
}

func (s *Server) renderUsers(c echo.Context, status int, f *views.Form) error {
	users, err := s.store.Users(c.Request().Context())
	if err != nil {
		return err
	}
	data := usersPage{Users: users, Form: f, Roles: db.Roles, Me: organiserFrom(c).User.ID}
	return s.render(c, status, "admin-users", "", s.adminPage(c, s.localizer(c).T("users.title"), data))
}

// createUser adds an account with a generated password, and shows the
// password on the page it answers with — once: it is stored only as a
// hash, and a redirect would have to carry it in the address or keep it.
func (s *Server) createUser(c echo.Context) error {
	l := s.localizer(c)
	f := newUserForm()
	if err := readForm(c, l, f, nil); err != nil {
		return err
	}
	s.valid.check(userForm{Email: f.Values["email"], Role: f.Values["role"]}, l, f)
	if len(f.Errors) > 0 {
		return s.renderUsers(c, http.StatusUnprocessableEntity, f)
	}
	password := db.GeneratePassword()
	u, err := s.store.CreateUser(c.Request().Context(), db.NewUser{Email: f.Values["email"], Role: f.Values["role"], Password: password})
	switch code := db.ErrorCode(err); {
	case code == db.ECONFLICT || code == db.EINVALID && slices.Contains(f.Order, db.ErrorField(err)):
		field := db.ErrorField(err)
		if field == "" {
			field = "email"
		}
		f.Errors[field] = l.T(db.ErrorKey(err))
		return s.renderUsers(c, errorStatus[code], f)
	case err != nil:
		return err
	}
	return s.renderPassword(c, u, password, true)
}

func (s *Server) renderPassword(c echo.Context, u *db.User, password string, isNew bool) error {
	l := s.localizer(c)
	title := l.T("users.password.title")
	if isNew {
		title = l.T("users.created.title")
	}
	return s.render(c, http.StatusOK, "admin-password", "", s.adminPage(c, title, passwordPage{User: u, Password: password, New: isNew}))
}

// userParam reads the account an action is about.
func (s *Server) userParam(c echo.Context) (*db.User, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, db.NotFoundf("user.not_found", "no account %q", c.Param("id"))
	}
	return s.store.UserByID(c.Request().Context(), id)
}

// disableUser disables an account, which ends its sessions at once.
func (s *Server) disableUser(c echo.Context) error { return s.setUserDisabled(c, true) }

// enableUser lets a disabled account sign in again.
func (s *Server) enableUser(c echo.Context) error { return s.setUserDisabled(c, false) }

func (s *Server) setUserDisabled(c echo.Context, disabled bool) error {
	u, err := s.userParam(c)
	if err != nil {
		return err
	}
	if _, err := s.store.SetUserDisabled(c.Request().Context(), u.ID, disabled); err != nil {
		return err
	}
	return s.seeOther(c, "/admin/users")
}

// resetPassword gives an account a new, generated password, shown once,
// and ends its sessions.
func (s *Server) resetPassword(c echo.Context) error {
	u, err := s.userParam(c)
	if err != nil {
		return err
	}
	password := db.GeneratePassword()
	if err := s.store.SetPassword(c.Request().Context(), u.ID, password); err != nil {
		return err
	}
	return s.renderPassword(c, u, password, false)
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register("user add", "--username U [--name \"Họ Tên\"] --role clerk|supervisor|admin[,…]", defUserAdd)
	register("user list", "", defUserList)
	register("user roles", "NAME --role R[,…]", defUserChange("roles"))
	for _, action := range []string{"passwd", "disable", "enable", "unlock"} {
		register("user "+action, "NAME", defUserChange(action))
	}
}

func defUserList(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	return func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usageError{c.tr("cli.common.unexpectedArgument", l10n.Args{"Arg": args[0]})}
		}
		if _, err := c.login(ctx); err != nil {
			return err
		}
		w, _, err := c.wflow()
		if err != nil {
			return err
		}
		users, err := w.Users(ctx)
		if err != nil {
			return err
		}
		if c.json {
			type ju struct {
				ID          int64    `json:"id"`
				Username    string   `json:"username"`
				FullName    string   `json:"full_name"`
				Roles       []string `json:"roles"`
				Disabled    bool     `json:"disabled"`
				Failures    int      `json:"failed_logins,omitempty"`
				LockedUntil string   `json:"locked_until,omitempty"`
			}
			out := []ju{}
			for _, u := range users {
				var rs []string
				for _, r := range u.Roles {
					rs = append(rs, string(r))
				}
				j := ju{ID: u.ID, Username: u.Username, FullName: u.FullName, Roles: rs, Disabled: u.Disabled, Failures: u.Failures}
				if t := u.LockedUntil; !t.IsZero() {
					j.LockedUntil = t.UTC().Format(time.RFC3339)
				}
				out = append(out, j)
			}
			return c.printJSON(out)
		}
		for _, u := range users {
			var rs []string
			for _, r := range u.Roles {
				rs = append(rs, string(r))
			}
			state := ""
			switch {
			case u.Disabled:
				state = c.tr("cli.user.disabled")
			case !u.LockedUntil.IsZero():
				state = c.tr("cli.user.signInLockedUntil") + u.LockedUntil.Local().Format("15:04:05 02/01/2006")
			}
			fmt.Fprintf(c.env.Stdout, "%-20s %-30s %-26s %s\n", u.Username, u.FullName, strings.Join(rs, ","), state)
		}
		return nil
	}
}

func defUserAdd(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	username := fs.String("username", "", "")
	fullName := fs.String("name", "", "")
	roleList := fs.String("role", "clerk", "")
	return func(ctx context.Context, args []string) error {
		if *username == "" {
			return usageError{c.tr("cli.user.usernameIsRequired")}
		}
		roles, err := workflow.ParseRoles(*roleList)
		if err != nil {
			return usageError{err.Error()}
		}
		w, st, err := c.wflow()
		if err != nil {
			return err
		}
		n, err := st.UserCount(ctx)
		if err != nil {
			return err
		}
		var actor *queue.User
		if n > 0 {
			u, err := c.login(ctx)
			if err != nil {
				return err
			}
			actor = &u
		}
		pw, err := c.newPassword(n > 0)
		if err != nil {
			return err
		}
		u, err := w.AddUser(ctx, actor, workflow.NewUser{Username: *username, FullName: *fullName, Password: pw, Roles: roles})
		if err != nil {
			switch err {
			case queue.ErrWeakPassword:
				return c.weakPassword()
			case queue.ErrUserExists:
				return fmt.Errorf(c.tr("cli.user.userNameIsAlready"), *username)
			case queue.ErrBadUsername:
				return fmt.Errorf(c.tr("cli.user.userNameUse2"), *username)
			}
			return err
		}
		if c.json {
			return c.printJSON(map[string]any{"id": u.ID, "username": u.Username, "roles": roles})
		}
		fmt.Fprintf(c.env.Stdout, c.tr("cli.user.userCreated"), u.Username)
		return nil
	}
}

// newPassword reads a new password: $SOHOA_NEW_PASSWORD, a line of standard input (the next
// one after the signed-in user's own password when afterLogin), or a prompt (twice).
func (c *cmdCtx) newPassword(afterLogin bool) (string, error) {
	switch {
	case c.pwStdin && afterLogin:
		// the first stdin line was the signed-in user's own password; the next is the new one
		return c.readLine()
	case c.env.Getenv("SOHOA_NEW_PASSWORD") != "":
		return c.env.Getenv("SOHOA_NEW_PASSWORD"), nil
	case c.pwStdin:
		return c.readLine()
	case c.env.IsTerminal:
		pw, err := c.password("", c.tr("cli.user.newPassword"))
		if err != nil {
			return "", err
		}
		again, err := c.password("", c.tr("cli.user.again"))
		if err != nil || again != pw {
			return "", errors.New(c.tr("cli.user.twoPasswordsDiffer"))
		}
		return pw, nil
	}
	return "", errors.New(c.tr("cli.user.noNewPasswordSet"))
}

func (c *cmdCtx) weakPassword() error {
	return errors.New(c.tr("cli.user.passwordTooShortUse"))
}

// defUserChange changes an account (roles, password, disabled flag, sign-in lock), each with
// an audit event and the record sealed again (queue/users.go). Administrators only, except
// that every user may change their own password.
func defUserChange(action string) leafDef {
	return func(c *cmdCtx, fs *pflag.FlagSet) runFunc {
		roleList := new(string)
		if action == "roles" {
			fs.StringVar(roleList, "role", "", "")
		}
		return func(ctx context.Context, pos []string) error {
			var err error
			if len(pos) != 1 {
				return usageError{c.tr("cli.user.nameExactlyOneUser")}
			}
			name := pos[0]
			var roles []queue.Role
			if action == "roles" {
				if *roleList == "" {
					return usageError{c.tr("cli.user.roleIsRequired")}
				}
				if roles, err = workflow.ParseRoles(*roleList); err != nil {
					return usageError{err.Error()}
				}
			}
			actor, err := c.login(ctx)
			if err != nil {
				return err
			}
			w, _, err := c.wflow()
			if err != nil {
				return err
			}
			var done string
			switch action {
			case "roles":
				err = w.SetRoles(ctx, actor, name, roles)
				done = c.tr("cli.user.rolesOfSet")
			case "passwd":
				var pw string
				if pw, err = c.newPassword(true); err != nil {
					return err
				}
				err = w.SetPassword(ctx, actor, name, pw)
				done = c.tr("cli.user.passwordOfChanged")
			case "disable":
				err = w.SetDisabled(ctx, actor, name, true)
				done = c.tr("cli.user.userDisabled")
			case "enable":
				err = w.SetDisabled(ctx, actor, name, false)
				done = c.tr("cli.user.userEnabled")
			case "unlock":
				err = w.Unlock(ctx, actor, name)
				done = c.tr("cli.user.signInOfUnlocked")
			}
			switch {
			case errors.Is(err, queue.ErrWeakPassword):
				return c.weakPassword()
			case errors.Is(err, queue.ErrUserNotFound):
				return fmt.Errorf(c.tr("cli.user.noUserNamed"), name)
			case err != nil:
				return err
			}
			if c.json {
				return c.printJSON(map[string]any{"username": name, "action": action, "ok": true})
			}
			fmt.Fprintf(c.env.Stdout, done+"\n", name)
			return nil
		}
	}
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sohoa/sohoa/queue"
)

func init() {
	register(&command{name: "user", usage: "add --username U [--name \"Họ Tên\"] --role clerk|supervisor|admin[,…] | list | cert add|list|remove …",
		summary: "add or list users (the first user is the administrator) / thêm, liệt kê người dùng", run: runUser})
}

func runUser(ctx context.Context, c *cmdCtx, args []string) error {
	if len(args) == 0 {
		return usageError{c.t("say add or list", "cần add hoặc list")}
	}
	switch args[0] {
	case "add":
		return runUserAdd(ctx, c, args[1:])
	case "cert": // signing certificates bound to accounts (cmd_user_cert.go)
		return runUserCert(ctx, c, args[1:])
	case "list":
		fs := c.newFlags("user list")
		if _, err := c.parse(fs, args[1:]); err != nil {
			return err
		}
		if _, err := c.login(ctx); err != nil {
			return err
		}
		users, err := c.store.Users(ctx)
		if err != nil {
			return err
		}
		if c.json {
			type ju struct {
				ID       int64    `json:"id"`
				Username string   `json:"username"`
				FullName string   `json:"full_name"`
				Roles    []string `json:"roles"`
				Disabled bool     `json:"disabled"`
			}
			out := []ju{}
			for _, u := range users {
				var rs []string
				for _, r := range u.Roles {
					rs = append(rs, string(r))
				}
				out = append(out, ju{u.ID, u.Username, u.FullName, rs, u.Disabled})
			}
			return c.printJSON(out)
		}
		for _, u := range users {
			var rs []string
			for _, r := range u.Roles {
				rs = append(rs, string(r))
			}
			fmt.Fprintf(c.env.Stdout, "%-20s %-30s %s\n", u.Username, u.FullName, strings.Join(rs, ","))
		}
		return nil
	}
	return usageError{fmt.Sprintf(c.t("unknown user action %q", "thao tác %q không hợp lệ"), args[0])}
}

func runUserAdd(ctx context.Context, c *cmdCtx, args []string) error {
	fs := c.newFlags("user add")
	username := fs.String("username", "", "")
	fullName := fs.String("name", "", "")
	roleList := fs.String("role", "clerk", "")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	if *username == "" {
		return usageError{c.t("--username is required", "cần --username")}
	}
	var roles []queue.Role
	for _, r := range strings.Split(*roleList, ",") {
		role, err := queue.ParseRole(r)
		if err != nil {
			return usageError{err.Error()}
		}
		roles = append(roles, role)
	}
	st, err := c.open()
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
	// The new user's password: $SOHOA_NEW_PASSWORD, a line of stdin, or a prompt (twice).
	var pw string
	if c.pwStdin && n > 0 {
		// the first stdin line was the admin's own password; the next is the new one
		pw, err = c.readLine()
	} else if v := c.env.Getenv("SOHOA_NEW_PASSWORD"); v != "" {
		pw = v
	} else if c.pwStdin {
		pw, err = c.readLine()
	} else if c.env.IsTerminal {
		pw, err = c.password("", c.t("New user's password: ", "Mật khẩu của người dùng mới: "))
		if err == nil {
			again, err2 := c.password("", c.t("Again: ", "Nhập lại: "))
			if err2 != nil || again != pw {
				return errors.New(c.t("the two passwords differ", "hai mật khẩu không khớp"))
			}
		}
	} else {
		return errors.New(c.t("no password for the new user: set SOHOA_NEW_PASSWORD or use --password-stdin",
			"thiếu mật khẩu cho người dùng mới: đặt SOHOA_NEW_PASSWORD hoặc dùng --password-stdin"))
	}
	if err != nil {
		return err
	}
	u, err := st.CreateUser(ctx, actor, *username, *fullName, pw, roles)
	if err != nil {
		switch err {
		case queue.ErrWeakPassword:
			return errors.New(c.t("password too short: use at least 8 characters", "mật khẩu quá ngắn: cần ít nhất 8 ký tự"))
		case queue.ErrUserExists:
			return fmt.Errorf(c.t("user name %q is already taken", "tên đăng nhập %q đã có người dùng"), *username)
		case queue.ErrBadUsername:
			return fmt.Errorf(c.t("user name %q: use 2-64 letters, digits, '.', '-' or '_'", "tên đăng nhập %q: dùng 2-64 chữ, số, '.', '-' hoặc '_'"), *username)
		}
		return err
	}
	if c.json {
		return c.printJSON(map[string]any{"id": u.ID, "username": u.Username, "roles": roles})
	}
	fmt.Fprintf(c.env.Stdout, c.t("user %s created\n", "đã tạo người dùng %s\n"), u.Username)
	return nil
}

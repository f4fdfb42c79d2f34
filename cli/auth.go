package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/sohoa/sohoa/queue"
)

// login signs the command in: user from --user or $SOHOA_USER; password from $SOHOA_PASSWORD,
// from standard input with --password-stdin, or from a prompt on a terminal.
func (c *cmdCtx) login(ctx context.Context) (queue.User, error) {
	if c.user != nil {
		return *c.user, nil
	}
	st, err := c.open()
	if err != nil {
		return queue.User{}, err
	}
	if n, err := st.UserCount(ctx); err != nil {
		return queue.User{}, err
	} else if n == 0 {
		return queue.User{}, queue.ErrNoUsers
	}
	name := c.userArg
	if name == "" {
		name = c.env.Getenv("SOHOA_USER")
	}
	if name == "" {
		return queue.User{}, errors.New(c.t("sign in: set SOHOA_USER (and SOHOA_PASSWORD) or pass --user",
			"đăng nhập: đặt SOHOA_USER (và SOHOA_PASSWORD) hoặc dùng --user"))
	}
	pw, err := c.password("SOHOA_PASSWORD", c.t("Password: ", "Mật khẩu: "))
	if err != nil {
		return queue.User{}, err
	}
	u, err := st.Authenticate(ctx, name, pw)
	if err != nil { // a lock says how long it lasts, in the run's language (errText)
		return queue.User{}, err
	}
	c.user = &u
	return u, nil
}

// password reads a secret: from the environment variable, else one line of standard input
// when --password-stdin is set, else a prompt without echo on a terminal.
func (c *cmdCtx) password(envVar, prompt string) (string, error) {
	if c.pwStdin {
		return c.readLine()
	}
	if v := c.env.Getenv(envVar); v != "" {
		return v, nil
	}
	if c.env.IsTerminal {
		fmt.Fprint(c.env.Stderr, prompt)
		b, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(c.env.Stderr)
		return string(b), err
	}
	return "", fmt.Errorf(c.t("no password: set %s or use --password-stdin", "thiếu mật khẩu: đặt %s hoặc dùng --password-stdin"), envVar)
}

func (c *cmdCtx) readLine() (string, error) {
	if c.in == nil {
		c.in = bufio.NewReader(c.env.Stdin)
	}
	line, err := c.in.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New(c.t("no password on standard input", "không có mật khẩu ở đầu vào chuẩn"))
	}
	return strings.TrimRight(line, "\r\n"), nil
}

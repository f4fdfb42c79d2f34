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
		return queue.User{}, errors.New(c.tr("cli.auth.signInSetSohoa"))
	}
	pw, err := c.password("SOHOA_PASSWORD", c.tr("cli.auth.password"))
	if err != nil {
		return queue.User{}, err
	}
	u, err := st.Authenticate(ctx, name, pw)
	if err != nil { // a lock says how long it lasts, in the run's language (errText)
		return queue.User{}, err
	}
	c.user, c.pw = &u, pw
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
	return "", fmt.Errorf(c.tr("cli.auth.noPasswordSetOr"), envVar)
}

func (c *cmdCtx) readLine() (string, error) {
	if c.in == nil {
		c.in = bufio.NewReader(c.env.Stdin)
	}
	line, err := c.in.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New(c.tr("cli.auth.noPasswordOnStandard"))
	}
	return strings.TrimRight(line, "\r\n"), nil
}

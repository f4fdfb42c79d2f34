package cli

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
)

func init() {
	register("encrypt", "", defEncrypt)
	register("recover", "--username U", defRecover)
}

// defEncrypt: `sohoa encrypt` switches the store to encryption at rest (administrators, with
// their password), prints the recovery key once, and converts what was stored in plaintext,
// with progress on standard error. Run again, it finishes a conversion a crash interrupted.
func defEncrypt(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	return func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usageError{c.tr("cli.common.unexpectedArgument", l10n.Args{"Arg": args[0]})}
		}
		u, err := c.login(ctx)
		if err != nil {
			return err
		}
		if err := queue.Require(u, queue.ActionManageUsers); err != nil {
			return err
		}
		st := c.store
		state, err := st.EncryptionState(ctx)
		if err != nil {
			return err
		}
		if state == queue.EncryptionOn {
			fmt.Fprintln(c.env.Stdout, c.tr("cli.encrypt.already"))
			return nil
		}
		if state == queue.EncryptionOff {
			words, err := st.EnableEncryption(ctx, u, c.pw)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.env.Stderr, c.tr("cli.encrypt.recoveryKey"))
			fmt.Fprintln(c.env.Stdout, words)
		}
		last := -1
		err = st.ConvertToEncrypted(ctx, func(p queue.ConvertProgress) {
			if p.Total > 0 && (p.Done*10/p.Total != last || p.Done == p.Total) {
				last = p.Done * 10 / p.Total
				fmt.Fprintln(c.env.Stderr, c.tr("cli.encrypt.progress", l10n.Args{"Done": p.Done, "Total": p.Total}))
			}
		})
		if err != nil {
			return err
		}
		fmt.Fprintln(c.env.Stderr, c.tr("cli.encrypt.done"))
		return nil
	}
}

// defRecover: `sohoa recover --username U` gives an account a new password with the recovery
// key alone: the words on the first line of standard input (or $SOHOA_RECOVERY_KEY), the new
// password from $SOHOA_NEW_PASSWORD, the next line of standard input, or a prompt.
func defRecover(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	username := fs.String("username", "", "")
	return func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usageError{c.tr("cli.common.unexpectedArgument", l10n.Args{"Arg": args[0]})}
		}
		if *username == "" {
			return usageError{c.tr("cli.recover.needUsername")}
		}
		st, err := c.open()
		if err != nil {
			return err
		}
		words := c.env.Getenv("SOHOA_RECOVERY_KEY")
		if words == "" {
			if words, err = c.readLine(); err != nil {
				return err
			}
		}
		c.pwStdin = c.env.Getenv("SOHOA_NEW_PASSWORD") == ""
		pw, err := c.password("SOHOA_NEW_PASSWORD", c.tr("cli.recover.newPassword"))
		if err != nil {
			return err
		}
		if err := st.ResetPasswordWithRecovery(ctx, words, *username, pw); err != nil {
			return err
		}
		fmt.Fprintln(c.env.Stderr, c.tr("cli.recover.done", l10n.Args{"User": *username}))
		return nil
	}
}

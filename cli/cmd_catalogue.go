package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
)

func init() {
	register("catalogue", "", defCatalogue)
	register("catalogue load", "FILE.json", defCatalogueLoad)
}

type jsonCatalogue struct {
	Provinces int            `json:"provinces"`
	Communes  int            `json:"communes"`
	Kinds     map[string]int `json:"kinds"`
	File      string         `json:"file"` // "" = the bundled catalogue
}

func catalogueJSON(au *records.AdminUnits, file string) jsonCatalogue {
	j := jsonCatalogue{Provinces: len(au.Provinces), Communes: len(au.Communes), Kinds: map[string]int{}, File: file}
	for _, c := range au.Communes {
		j.Kinds[c.Kind]++
	}
	return j
}

func (c *cmdCtx) printCatalogue(au *records.AdminUnits, file string) error {
	j := catalogueJSON(au, file)
	if c.json {
		return c.printJSON(j)
	}
	src := c.tr("cli.catalogue.bundled")
	if file != "" {
		src = file
	}
	fmt.Fprintln(c.env.Stdout, c.tr("cli.catalogue.summary", l10n.Args{"Provinces": j.Provinces, "Communes": j.Communes,
		"Xa": j.Kinds["Xã"], "Phuong": j.Kinds["Phường"], "DacKhu": j.Kinds["Đặc khu"], "Source": src}))
	return nil
}

// defCatalogue shows the administrative-unit catalogue addresses are checked against.
func defCatalogue(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	return func(ctx context.Context, rest []string) error {
		if len(rest) > 0 {
			return usageError{c.tr("cli.common.unknownCommand", l10n.Args{"Name": rest[0]})}
		}
		st, err := c.open()
		if err != nil {
			return err
		}
		au, err := records.Catalog()
		if err != nil {
			return err
		}
		file := ""
		if _, err := os.Stat(records.UnitsFile(st.Dir())); err == nil {
			file = records.UnitsFile(st.Dir())
		}
		return c.printCatalogue(au, file)
	}
}

// defCatalogueLoad installs an updated catalogue (administrators): a file of the open dataset
// thanglequoc/vietnamese-provinces-database, checked, written durably into the data folder,
// audited; no new build of SoHoa is needed.
func defCatalogueLoad(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usageError{c.tr("cli.catalogue.usageLoad")}
		}
		st, err := c.open()
		if err != nil {
			return err
		}
		u, err := c.login(ctx)
		if err != nil {
			return err
		}
		if err := queue.Require(u, queue.ActionManageTypes); err != nil {
			return err
		}
		data, err := os.ReadFile(args[0])
		if err != nil {
			return err
		}
		if _, err := records.InstallUnitFile(st.Dir(), data); err != nil {
			return err
		}
		au, err := records.UseDataDir(st.Dir())
		if err != nil {
			return err
		}
		if err := st.AuditCatalogue(ctx, u, fmt.Sprintf("%d provinces, %d communes", len(au.Provinces), len(au.Communes))); err != nil {
			return err
		}
		if !c.json {
			fmt.Fprint(c.env.Stdout, c.tr("cli.catalogue.loaded")+" ")
		}
		return c.printCatalogue(au, records.UnitsFile(st.Dir()))
	}
}

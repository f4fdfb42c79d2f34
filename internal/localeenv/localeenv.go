// Package localeenv works around the locale name "C.UTF-8" (Debian's default outside a
// desktop session: servers, CI, SSH): the go-locale module Fyne uses treats "C" and "POSIX" as
// "no locale" but not "C.UTF-8", so fyne/lang's initialisation logs "Error parsing user locale
// C" in every sohoa process. When the messages locale is C.<charset> and LANGUAGE is unset,
// this package sets LANGUAGE=en (what C means) for the process.
//
// It must run before fyne.io/fyne/v2/lang is initialised, so it imports only syscall: Go
// initialises packages in dependency order, lexically smallest import path first among those
// that are ready, and this one is ready (right after syscall) long before fyne/lang (which
// needs os). main imports it for its side effect.
package localeenv

import "syscall"

func init() {
	if v, ok := syscall.Getenv("LANGUAGE"); ok && v != "" {
		return
	}
	loc := ""
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v, ok := syscall.Getenv(k); ok && v != "" {
			loc = v
			break
		}
	}
	if len(loc) > 2 && loc[:2] == "C." {
		syscall.Setenv("LANGUAGE", "en")
	}
}

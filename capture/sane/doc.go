// Package sane is the SANE scanner driver: it talks to libsane through cgo and
// implements capture.Scanner for every scanner a SANE backend can reach (USB,
// SCSI, network backends). It finds devices, reads their options into
// capture.Capabilities, and runs flatbed and document-feeder jobs, turning
// SANE statuses (jam, cover open, empty feeder, ...) into *capture.Fault.
//
// libsane is initialised once per process (New/Close keep a reference count);
// SANE handles are not thread-safe, so every device is used by one job at a
// time. Backend-specific options (for example the test backend's
// "read-return-value") can be set by name with Driver.SetExtraOption.
package sane

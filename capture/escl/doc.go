// Package escl is the eSCL (AirScan, Mopria) scanner driver: a pure-Go HTTP
// client that implements capture.Scanner for network scanners. It reads
// /eSCL/ScannerCapabilities and /eSCL/ScannerStatus, creates scan jobs with a
// ScanSettings document, fetches the pages one by one from NextDocument (JPEG
// or PNG, kept as the device sent them and decoded), and deletes the job when
// it is cancelled or fails. Device faults (ADF jam, empty feeder, open cover,
// busy device) become *capture.Fault.
//
// Devices are found with a one-shot mDNS query for _uscan._tcp and
// _uscans._tcp, or entered by hand as base URLs (NewDevice, AddDevice); a
// device ID is "escl:" followed by the base URL, e.g.
// "escl:http://192.0.2.7:8080/eSCL".
package escl

// Package pgtest starts a throwaway PostgreSQL cluster for tests, from Debian's postgresql
// package (no Docker): initdb into a temporary folder, postgres on 127.0.0.1 with a free port and
// its socket in that folder, stopped and removed by Stop. As root it runs the server as the
// "postgres" user (PostgreSQL refuses to run as root).
package pgtest

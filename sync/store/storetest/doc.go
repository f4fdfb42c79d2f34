// Package storetest is the one test suite every central Store backend must pass (as restic's
// backends share internal/backend/test). A backend's test calls Run with a function that opens
// a fresh, empty store.
package storetest
